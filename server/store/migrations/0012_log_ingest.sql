-- An output line kept as the agent printed it, its events derived when read
-- (data then holds the rest of the entry). NULL on every other entry, whose
-- data is the whole entry, as on all those written before.
ALTER TABLE task_events ADD COLUMN line TEXT;
