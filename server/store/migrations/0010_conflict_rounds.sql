-- An accept whose rebase conflicts hands the conflict to the task's agent, a
-- round at a time (server.landing): the round under way (0: none), the change
-- saved while a round's workspace is being prepared (a commit in the task's
-- host git dir; '' once prepared), the accept's commit message for when the
-- rounds end, and the files rounds wrote conflict markers into (JSON), which
-- every later accept of the task checks.
ALTER TABLE tasks ADD COLUMN conflict_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN conflict_change TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN accept_message TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN marked_files TEXT NOT NULL DEFAULT '[]';
