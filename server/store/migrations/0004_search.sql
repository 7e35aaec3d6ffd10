-- Full-text search over what a person remembers of a task: its title, its
-- prompt and the agent's last result. The index reads its text from tasks
-- (external content, keyed by the rowid that list cursors already rely on);
-- the triggers keep it in step with every write.
ALTER TABLE tasks ADD COLUMN result TEXT NOT NULL DEFAULT '';

-- The latest result text already in each task's log.
UPDATE tasks SET result = IFNULL((
    SELECT json_extract(j.value, '$.text')
    FROM task_events e, json_each(e.data, '$.events') j
    WHERE e.task_id = tasks.id AND e.type = 'output'
      AND json_extract(j.value, '$.kind') = 'result'
    ORDER BY e.id DESC LIMIT 1
), '');

CREATE VIRTUAL TABLE task_search USING fts5(
    title, prompt, result, content='tasks', content_rowid='rowid'
);
INSERT INTO task_search(task_search) VALUES ('rebuild');

CREATE TRIGGER task_search_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_search(rowid, title, prompt, result)
    VALUES (new.rowid, new.title, new.prompt, new.result);
END;
CREATE TRIGGER task_search_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO task_search(task_search, rowid, title, prompt, result)
    VALUES ('delete', old.rowid, old.title, old.prompt, old.result);
END;
CREATE TRIGGER task_search_update AFTER UPDATE OF title, prompt, result ON tasks BEGIN
    INSERT INTO task_search(task_search, rowid, title, prompt, result)
    VALUES ('delete', old.rowid, old.title, old.prompt, old.result);
    INSERT INTO task_search(rowid, title, prompt, result)
    VALUES (new.rowid, new.title, new.prompt, new.result);
END;
