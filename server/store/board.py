"""Board events: each change live clients see, kept so a reconnecting client can replay them."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from server.store.db import Database

# Older events are pruned: a client further behind than this refetches the board.
BOARD_EVENTS_KEPT = 5000


def record(db: sqlite3.Connection, type_: str, data: dict[str, Any]) -> None:
    """Log a change in the transaction that makes it (call with the lock held)."""
    cur = db.execute(
        "INSERT INTO board_events (type, data) VALUES (?, ?)", (type_, json.dumps(data))
    )
    seq = cur.lastrowid
    assert seq is not None
    if seq % 500 == 0:
        db.execute("DELETE FROM board_events WHERE seq <= ?", (seq - BOARD_EVENTS_KEPT,))


class BoardLog(Database):
    def add_board_event(self, type_: str, data: dict[str, Any]) -> None:
        """A board change that is not a task's (an image being prepared)."""
        with self._tx() as db:
            record(db, type_, data)

    def board_events_after(self, seq: int, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Events after ``seq``; an empty list with a gap means the client must refetch."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, type, data FROM board_events WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [(int(r["seq"]), str(r["type"]), str(r["data"])) for r in rows]

    def oldest_board_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MIN(seq) FROM board_events").fetchone()
        return int(row[0] or 0)

    def newest_board_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(seq) FROM board_events").fetchone()
        return int(row[0] or 0)
