-- A task's tags: a JSON array of short names, for the board's ?tag= filter.
ALTER TABLE tasks ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
