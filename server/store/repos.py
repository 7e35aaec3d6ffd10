"""The repositories the board was opened on, remembered across restarts."""

from __future__ import annotations

from server.store.db import Database, now


class RepoRows(Database):
    def add_repo(self, path: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO repos (path, added_at) VALUES (?, ?)", (path, now()))

    def repos(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT path FROM repos ORDER BY added_at, path").fetchall()
        return [str(r["path"]) for r in rows]
