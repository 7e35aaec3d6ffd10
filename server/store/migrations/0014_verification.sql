-- A verifier's verdict on the task's change (server.verify): '' (none yet),
-- 'running', 'pass', 'fail' or 'error'; its reasons, when it was given, and
-- what the verifier cost.
ALTER TABLE tasks ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN verdict_reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN verdict_at TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN verdict_cost_usd REAL NOT NULL DEFAULT 0;
-- Per task: verify when a run ends in waiting, accept on a PASS; NULL follows
-- the settings' auto_test and auto_accept.
ALTER TABLE tasks ADD COLUMN auto_test INTEGER;
ALTER TABLE tasks ADD COLUMN auto_accept INTEGER;
-- What a turn was spent on: the task's own run, or a side session beside it
-- (a verifier, a title or commit-message helper). Earlier turns were all runs.
ALTER TABLE turns ADD COLUMN activity TEXT NOT NULL DEFAULT 'run';
