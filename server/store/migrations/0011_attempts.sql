-- An attempt is a task of its own that runs another task's prompt: attempt_of
-- names that task ('' for a task that is no attempt). Attempts of one task are
-- compared side by side, and one is accepted.
ALTER TABLE tasks ADD COLUMN attempt_of TEXT NOT NULL DEFAULT '';
-- Read for every task shown (how many attempts has it?): an index of attempts alone.
CREATE INDEX tasks_attempts ON tasks(attempt_of) WHERE attempt_of != '';
