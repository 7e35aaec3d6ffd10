"""SQLite persistence: schema, migrations and every query. The only module that speaks SQL.

One connection in WAL mode, guarded by a lock, used from worker threads (never
from the event loop). Agent output is appended line by line as it arrives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from runner.agents.events import Usage
from server.model import Event, Task
from server.states import Status

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

# Board events are kept for reconnect replay; older ones are pruned.
BOARD_EVENTS_KEPT = 5000
_USAGE_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cost_usd",
)
# Usage totals live on the task row too, added to in the same transaction as
# each turn, so listing 10,000 tasks never has to sum the turns table.
_TASK_SELECT = "SELECT t.rowid AS rowid, t.* FROM tasks t"
_TASK_COLUMNS = {f.name for f in fields(Task)} - {"usage"}


class Order(StrEnum):
    RECENT = "recent"  # newest first
    POSITION = "position"  # the user's backlog order


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


class Store:
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

    # --- tasks -------------------------------------------------------------

    def create_task(self, task: Task) -> Task:
        stamp = now()
        with self._tx() as db:
            position = db.execute(
                "SELECT COALESCE(MIN(position), 0) - 1 FROM tasks WHERE status = ?",
                (Status.BACKLOG,),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO tasks (id, title, prompt, status, repo, agent, model, position,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task.id,
                    task.title,
                    task.prompt,
                    task.status,
                    task.repo,
                    task.agent,
                    task.model,
                    position,
                    stamp,
                    stamp,
                ),
            )
            return self._saved(db, task.id)

    def get_task(self, task_id: str) -> Task | None:
        with self._lock:
            return self._get(self._db, task_id)

    def list_tasks(
        self,
        statuses: list[Status] | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: Order = Order.RECENT,
        archived: bool | None = None,
    ) -> tuple[list[Task], str | None]:
        """One page of tasks; pass the returned cursor to get the next page.

        Raises ValueError for a cursor this function did not make.
        """
        where: list[str] = []
        params: list[Any] = []
        if statuses:
            where.append(f"t.status IN ({', '.join('?' for _ in statuses)})")
            params.extend(str(s) for s in statuses)
        if archived is not None:
            where.append("t.archived = ?")
            params.append(int(archived))
        if cursor is not None:
            if order is Order.RECENT:
                where.append("t.rowid < ?")
                params.append(int(cursor))
            else:
                position, rowid = cursor.split(",")
                where.append("(t.position > ? OR (t.position = ? AND t.rowid > ?))")
                params.extend([float(position), float(position), int(rowid)])
        sql = _TASK_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += (
            " ORDER BY t.rowid DESC" if order is Order.RECENT else " ORDER BY t.position, t.rowid"
        )
        with self._lock:
            rows = self._db.execute(sql + " LIMIT ?", [*params, limit + 1]).fetchall()
        tasks = [_task(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return tasks, None
        last = rows[limit - 1]
        if order is Order.RECENT:
            return tasks, str(last["rowid"])
        return tasks, f"{last['position']!r},{last['rowid']}"

    def counts(self) -> dict[str, int]:
        """Tasks per status, archived ones left out."""
        with self._lock:
            rows = self._db.execute(
                "SELECT status, COUNT(*) FROM tasks WHERE archived = 0 GROUP BY status"
            ).fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    def cost_since(self, since: str) -> float:
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM turns WHERE at >= ?", (since,)
            ).fetchone()
        return float(row[0])

    def update_task(self, task_id: str, **changes: Any) -> Task:
        """Change columns of a task (not its status: see ``transition``)."""
        assignments, values = _assignments(changes)
        with self._tx() as db:
            db.execute(
                f"UPDATE tasks SET {assignments}, updated_at = ?, revision = revision + 1"
                " WHERE id = ?",
                [*values, now(), task_id],
            )
            return self._saved(db, task_id)

    def transition(
        self, task_id: str, expected: Status, to: Status, reason: str, **changes: Any
    ) -> tuple[Task, Event] | None:
        """Move a task from ``expected`` to ``to`` and log it, atomically.

        Returns None when the task is no longer in ``expected`` (another request
        moved it first), so the caller can report the real state.
        """
        assignments, values = _assignments({**changes, "status": to})
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE tasks SET {assignments}, updated_at = ?, revision = revision + 1"
                " WHERE id = ? AND status = ?",
                [*values, now(), task_id, str(expected)],
            )
            if cur.rowcount == 0:
                return None
            event = self._append(
                db, task_id, "state", {"from": str(expected), "to": str(to), "reason": reason}
            )
            return self._saved(db, task_id), event

    def delete_task(self, task_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM task_events WHERE task_id = ?", (task_id,))
            db.execute("DELETE FROM turns WHERE task_id = ?", (task_id,))
            db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
            self._board(db, "task-deleted", {"id": task_id})

    # --- the task event log --------------------------------------------------

    def append_event(self, task_id: str, type_: str, data: dict[str, Any]) -> Event:
        with self._tx() as db:
            return self._append(db, task_id, type_, data)

    def append_output(
        self,
        task_id: str,
        data: dict[str, Any],
        run_lines: int,
        session_id: str | None = None,
        turn: Usage | None = None,
        turn_is_error: bool = False,
    ) -> Event:
        """One agent output line: the log entry, the line count, and what it tells."""
        with self._tx() as db:
            event = self._append(db, task_id, "output", data)
            db.execute("UPDATE tasks SET run_lines = ? WHERE id = ?", (run_lines, task_id))
            if session_id:
                db.execute("UPDATE tasks SET session_id = ? WHERE id = ?", (session_id, task_id))
            if turn is not None:
                self._turn(db, task_id, session_id or "", turn, turn_is_error, event.at)
            return event

    def record_turn(self, task_id: str, session_id: str, turn: Usage, is_error: bool) -> None:
        """A run's usage without an output line: a run killed before its result."""
        with self._tx() as db:
            self._turn(db, task_id, session_id, turn, is_error, now())

    def _turn(
        self,
        db: sqlite3.Connection,
        task_id: str,
        session_id: str,
        turn: Usage,
        is_error: bool,
        at: str,
    ) -> None:
        db.execute(
            "UPDATE tasks SET "
            + ", ".join(f"{c} = {c} + ?" for c in _USAGE_COLUMNS)
            + " WHERE id = ?",
            [getattr(turn, c) for c in _USAGE_COLUMNS] + [task_id],
        )
        db.execute(
            "INSERT INTO turns (task_id, session_id, is_error, "
            + ", ".join(_USAGE_COLUMNS)
            + ", at) VALUES (?, ?, ?, "
            + ", ".join("?" for _ in _USAGE_COLUMNS)
            + ", ?)",
            [task_id, session_id, int(is_error), *(getattr(turn, c) for c in _USAGE_COLUMNS), at],
        )

    def session_usage(self, task_id: str, session_id: str) -> Usage:
        """What the task's runs in one agent session have counted so far: what a CLI
        that adds up over a resumed session had already reported."""
        with self._lock:
            row = self._db.execute(
                "SELECT "
                + ", ".join(f"COALESCE(SUM({c}), 0)" for c in _USAGE_COLUMNS)
                + " FROM turns WHERE task_id = ? AND session_id = ?",
                (task_id, session_id),
            ).fetchone()
        return Usage(*row)

    def events(self, task_id: str, after: int = 0, limit: int = 500) -> list[Event]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM task_events WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?",
                (task_id, after, limit),
            ).fetchall()
        return [_event(row) for row in rows]

    def last_event(self, task_id: str, type_: str) -> Event | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM task_events WHERE task_id = ? AND type = ? ORDER BY id DESC LIMIT 1",
                (task_id, type_),
            ).fetchone()
        return _event(row) if row else None

    def turns(self, task_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM turns WHERE task_id = ? ORDER BY id", (task_id,)
            ).fetchall()
        return [{k: row[k] for k in row.keys() if k != "task_id"} for row in rows]  # noqa: SIM118

    # --- board events (for SSE replay after a reconnect) ----------------------

    def add_board_event(self, type_: str, data: dict[str, Any]) -> None:
        """A board change that is not a task's (an image being prepared)."""
        with self._tx() as db:
            self._board(db, type_, data)

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

    # --- repos ---------------------------------------------------------------

    def add_repo(self, path: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO repos (path, added_at) VALUES (?, ?)", (path, now()))

    def repos(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT path FROM repos ORDER BY added_at, path").fetchall()
        return [str(r["path"]) for r in rows]

    # --- credentials (only hashes are ever stored) -----------------------------

    def add_token(self, token_id: str, name: str, token_hash: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_tokens (id, name, hash, created_at) VALUES (?, ?, ?, ?)",
                (token_id, name, token_hash, now()),
            )

    def tokens(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, created_at, revoked_at FROM api_tokens ORDER BY created_at"
            ).fetchall()
        return [dict(row) for row in rows]

    def revoke_token(self, token_id: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now(), token_id),
            )
            return cur.rowcount > 0

    def token_valid(self, token_hash: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", (token_hash,)
            ).fetchone()
        return row is not None

    def set_password(self, password_hash: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO password (id, hash, set_at) VALUES (1, ?, ?)",
                (password_hash, now()),
            )

    def password_hash(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT hash FROM password WHERE id = 1").fetchone()
        return str(row[0]) if row else None

    # --- helpers (call with the lock held) ------------------------------------

    def _saved(self, db: sqlite3.Connection, task_id: str) -> Task:
        """The task as just written, logged on the board for live clients."""
        saved = self._get(db, task_id)
        if saved is None:
            raise KeyError(task_id)
        self._board(db, "task-updated", saved.to_json())
        return saved

    def _get(self, db: sqlite3.Connection, task_id: str) -> Task | None:
        row = db.execute(_TASK_SELECT + " WHERE t.id = ?", (task_id,)).fetchone()
        return _task(row) if row else None

    def _append(
        self, db: sqlite3.Connection, task_id: str, type_: str, data: dict[str, Any]
    ) -> Event:
        stamp = now()
        cur = db.execute(
            "INSERT INTO task_events (task_id, type, data, at) VALUES (?, ?, ?, ?)",
            (task_id, type_, json.dumps(data), stamp),
        )
        assert cur.lastrowid is not None
        return Event(cur.lastrowid, task_id, type_, data, stamp)

    def _board(self, db: sqlite3.Connection, type_: str, data: dict[str, Any]) -> None:
        cur = db.execute(
            "INSERT INTO board_events (type, data) VALUES (?, ?)", (type_, json.dumps(data))
        )
        seq = cur.lastrowid
        assert seq is not None
        if seq % 500 == 0:
            db.execute("DELETE FROM board_events WHERE seq <= ?", (seq - BOARD_EVENTS_KEPT,))


def _assignments(changes: dict[str, Any]) -> tuple[str, list[Any]]:
    unknown = set(changes) - _TASK_COLUMNS
    if unknown:
        raise ValueError(f"unknown task fields: {sorted(unknown)}")
    return ", ".join(f"{name} = ?" for name in changes), [
        _column_value(v) for v in changes.values()
    ]


def _column_value(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _task(row: sqlite3.Row) -> Task:
    values = {name: row[name] for name in _TASK_COLUMNS}
    values["status"] = Status(values["status"])
    values["archived"] = bool(values["archived"])
    values["conflict_files"] = json.loads(values["conflict_files"])
    usage = Usage(**{c: row[c] for c in _USAGE_COLUMNS})
    return Task(usage=usage, **values)


def _event(row: sqlite3.Row) -> Event:
    return Event(
        int(row["id"]),
        str(row["task_id"]),
        str(row["type"]),
        json.loads(row["data"]),
        str(row["at"]),
    )
