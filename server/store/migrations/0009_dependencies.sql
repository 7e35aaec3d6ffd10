-- What a backlog task waits for before it may start by itself: the tasks it
-- depends on (a JSON list of their ids; each must be done) and a time
-- (scheduled_at, UTC ISO 8601; '' for none).
ALTER TABLE tasks ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN scheduled_at TEXT NOT NULL DEFAULT '';
-- Both are rare, and looked for on every move (who waits for this task?) and
-- every board change (what may start by itself?): indexes of their rows only.
CREATE INDEX tasks_dependants ON tasks(status) WHERE depends_on != '[]';
CREATE INDEX tasks_scheduled ON tasks(status, position) WHERE scheduled_at != '';
