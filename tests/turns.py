"""Usage as runs record it, placed in time: for the usage page's tests."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from runner.agents import Usage
from server.store import Store
from tests.server_process import ServerProcess


def turn(server: ServerProcess, task_id: str, at: datetime, usage: Usage) -> None:
    """A turn as a run records it, then moved to ``at`` (the store stamps the present)."""
    store = Store(server.data_dir / "wallfacer.db")
    try:
        store.record_turn(task_id, "session", usage, False)
    finally:
        store.close()
    stamp = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with sqlite3.connect(server.data_dir / "wallfacer.db") as db:
        db.execute("UPDATE turns SET at = ? WHERE id = (SELECT MAX(id) FROM turns)", (stamp,))
