-- A cap on each task's stored output (the output_cap_mb setting). ``size`` is
-- what an entry counts toward the cap: set on agent output lines, which may be
-- dropped, oldest first; 0 on the marker that says how much was dropped (the
-- next drop replaces it); NULL on everything kept for good (state changes,
-- notes, result lines). Entries logged before this migration are all kept.
ALTER TABLE task_events ADD COLUMN size INTEGER;
CREATE INDEX task_events_droppable ON task_events(task_id, id, size) WHERE size IS NOT NULL;
-- The sum of the task's droppable sizes, so a new line never sums the log.
ALTER TABLE tasks ADD COLUMN output_bytes INTEGER NOT NULL DEFAULT 0;
