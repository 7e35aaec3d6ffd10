-- What a backlog task waits for before it may start by itself: the tasks it
-- depends on (a JSON list of their ids; each must be done) and a time
-- (scheduled_at, UTC ISO 8601; '' for none).
ALTER TABLE tasks ADD COLUMN depends_on TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN scheduled_at TEXT NOT NULL DEFAULT '';
