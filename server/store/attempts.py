"""Attempts: the tasks that run one task's prompt side by side, read as a group."""

from __future__ import annotations

from server.model import Task
from server.store.db import Database
from server.store.tasks import _TASK_SELECT, _task


class AttemptRows(Database):
    def attempt_group(self, original: str) -> list[Task]:
        """The task ``original`` (unless deleted) and its attempts, oldest first."""
        with self._lock:
            rows = self._db.execute(
                _TASK_SELECT + " WHERE t.id = ? OR (t.attempt_of = ? AND t.attempt_of != '')"
                " ORDER BY t.rowid",
                (original, original),
            ).fetchall()
        return [_task(row) for row in rows]
