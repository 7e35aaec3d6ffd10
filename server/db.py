"""The store's SQLite connection: opening it, its lock, its transactions and its schema.

One connection in WAL mode, guarded by a lock, used from worker threads (never
from the event loop). Each part of the store inherits it from ``Database``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

# Forward-only migrations; PRAGMA user_version counts how many have run.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        prompt TEXT NOT NULL,
        status TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0,
        position REAL NOT NULL DEFAULT 0,
        repo TEXT NOT NULL,
        base_branch TEXT NOT NULL DEFAULT '',
        branch TEXT NOT NULL DEFAULT '',
        worktree TEXT NOT NULL DEFAULT '',
        base_commit TEXT NOT NULL DEFAULT '',
        session_id TEXT NOT NULL DEFAULT '',
        container_id TEXT NOT NULL DEFAULT '',
        run_lines INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        conflict_files TEXT NOT NULL DEFAULT '[]',
        merged_base TEXT NOT NULL DEFAULT '',
        merged_head TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
        cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        revision INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX tasks_status ON tasks(status, archived);
    CREATE INDEX tasks_position ON tasks(status, position);
    CREATE TABLE task_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX task_events_task ON task_events(task_id, id);
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        is_error INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_input_tokens INTEGER NOT NULL,
        cache_creation_input_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX turns_task ON turns(task_id);
    CREATE INDEX turns_at ON turns(at);
    CREATE TABLE board_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE repos (
        path TEXT PRIMARY KEY,
        added_at TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE password (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        hash TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE tasks ADD COLUMN agent TEXT NOT NULL DEFAULT 'claude';
    ALTER TABLE tasks ADD COLUMN model TEXT NOT NULL DEFAULT '';
    """,
]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_private(path: Path) -> None:
    """Owner-only, like the token and env files: the store holds prompts and
    credential hashes. Made so before SQLite opens it (its -wal and -shm files
    take the store's mode), and tightened if an older version made it 0644."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(FileNotFoundError):
            os.chmod(file, 0o600)


class Database:
    """The connection and lock every part of the store queries through."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        make_private(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._tx() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")

    def writable(self) -> bool:
        """Readiness: can the store still commit a write (disk full, read-only fs)?"""
        try:
            with self._tx() as db:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS _probe(x)")
        except sqlite3.Error:
            return False
        return True
