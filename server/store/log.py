"""Each task's log: appending to it, capping the agent output it keeps, reading it by pages.

A chatty agent can print gigabytes in a run, so output is written a batch of
lines per transaction (a commit per line caps ingest at a few MB/s), and past
the task's cap its oldest lines are dropped in one range delete, leaving a
marker. SQLite reuses the freed pages, so the file stops growing at about the
sum of the tasks' caps, with no vacuum. Result lines, notes and state changes
are never dropped.

Most output lines are kept as the agent printed them, in ``line``, and their
events are derived when read, by a fresh parser of the task's agent (see
``Adapter.parser``): storing each line's events too doubled what ingest wrote.
Entries with no ``line`` (older ones, and lines stored whole as JSON) are read
as written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from runner.agents import REGISTRY, AgentEvent
from runner.agents.events import Usage, to_dict
from server.model import Event
from server.store.db import Database, now
from server.store.usage import Spending, add_turn

# A page of the log holds no more than this much data beyond its first entry.
PAGE_BYTES = 4 * 1024 * 1024
# Old output is dropped this much per transaction at most.
DROP_SLICE = 4 * 1024 * 1024
# Past its cap, a task keeps this share of it: the newest output.
KEPT_SHARE = 10
DROPPED = "dropped"  # the type of the marker entry
# The data of an output entry whose ``line`` holds the line and whose events are derived.
DERIVED = '{"truncated": false}'


@dataclass(frozen=True)
class Output:
    """One agent output line as the log keeps it, with what it tells."""

    data: str  # the entry's JSON, redacted, in ASCII: its length is its size in bytes
    session_id: str | None = None
    turn: Usage | None = None  # a result line's usage: never dropped
    turn_is_error: bool = False
    result: str | None = None  # the run's final text, kept on the task for search
    line: str | None = None  # with DERIVED data: the line, redacted, its events derived

    @property
    def size(self) -> int:
        """Its bytes as stored."""
        line = self.line or ""
        return len(self.data) + (len(line) if line.isascii() else len(line.encode()))


class Page(NamedTuple):
    events: list[Event]  # oldest first
    more: bool  # whether entries lie beyond this page, in the direction it was read


class TaskLog(Database):
    def append_event(self, task_id: str, type_: str, data: dict[str, Any]) -> Event:
        with self._tx() as db:
            return append(db, task_id, type_, data)

    def append_outputs(
        self, task_id: str, lines: list[Output], run_lines: int, cap_bytes: int
    ) -> Spending | None:
        """Agent output lines in one transaction, then the oldest dropped past ``cap_bytes``.

        ``run_lines`` is the run's line count after them (a reattach skips that many).
        Returns what the task has spent with them, for its budget (None: no lines).
        """
        if not lines:
            return None
        sizes = [None if line.turn is not None else line.size for line in lines]
        stamp = now()  # the rows are made before the store is held: ten runs share it
        rows = [(task_id, o.data, o.line, stamp, n) for o, n in zip(lines, sizes, strict=True)]
        with self._tx() as db:
            db.executemany(
                "INSERT INTO task_events (task_id, type, data, line, at, size)"
                " VALUES (?, 'output', ?, ?, ?, ?)",
                rows,
            )
            for line in lines:
                if line.result is not None:
                    db.execute("UPDATE tasks SET result = ? WHERE id = ?", (line.result, task_id))
                if line.session_id:
                    db.execute(
                        "UPDATE tasks SET session_id = ? WHERE id = ?", (line.session_id, task_id)
                    )
                if line.turn is not None:
                    add_turn(
                        db, task_id, line.session_id or "", line.turn, line.turn_is_error, stamp
                    )
            stored = db.execute(
                "UPDATE tasks SET run_lines = ?, output_bytes = output_bytes + ? WHERE id = ?"
                " RETURNING output_bytes, cost_usd, budget_usd",
                (run_lines, sum(size or 0 for size in sizes), task_id),
            ).fetchone()
        if stored is None:
            return None
        if stored[0] > cap_bytes:
            self._drop_oldest(task_id, cap_bytes // KEPT_SHARE)
        return Spending(stored[1], stored[2])

    def _drop_oldest(self, task_id: str, keep: int) -> None:
        """Drop every droppable entry that has at least ``keep`` bytes of newer output
        after it (so the newest line always stays), a slice per transaction: one
        delete of the whole would hold the store for a second."""
        with self._lock:
            cutoff = _cutoff(self._db, task_id, keep)
        end = None
        while cutoff is not None and end != cutoff:
            with self._tx() as db:
                end = _slice_end(db, task_id, cutoff)
                _drop_through(db, task_id, end)

    def events(
        self,
        task_id: str,
        after: int = 0,
        limit: int = 500,
        before: int | None = None,
        max_bytes: int = PAGE_BYTES,
    ) -> Page:
        """The first ``limit`` entries after ``after``; or, given ``before``, the newest
        ``limit`` before it (0: before the end). A page stops early at ``max_bytes``."""
        if before is None:
            sql = "SELECT * FROM task_events WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?"
            bound = after
        else:
            sql = "SELECT * FROM task_events WHERE task_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
            bound = before or 2**63 - 1
        rows: list[sqlite3.Row] = []
        size = 0
        with self._lock:
            parse = _parser(self._db, task_id)
            cursor = self._db.execute(sql, (task_id, bound, limit + 1))
            for row in cursor:  # read lazily: a page of 1 MB lines stops at its budget
                if len(rows) == limit or (rows and size >= max_bytes):
                    more = True
                    break
                size += _read_size(row)
                rows.append(row)
            else:
                more = False
        found = [_event(row, parse) for row in rows]
        return Page(found[::-1] if before is not None else found, more)

    def last_event(self, task_id: str, type_: str) -> Event | None:
        with self._lock:
            parse = _parser(self._db, task_id)
            row = self._db.execute(
                "SELECT * FROM task_events WHERE task_id = ? AND type = ? ORDER BY id DESC LIMIT 1",
                (task_id, type_),
            ).fetchone()
        return _event(row, parse) if row else None


# --- helpers (call with the lock held) ---------------------------------------


def append(db: sqlite3.Connection, task_id: str, type_: str, data: dict[str, Any]) -> Event:
    stamp = now()
    return Event(_insert(db, task_id, type_, json.dumps(data), stamp), task_id, type_, data, stamp)


def _insert(
    db: sqlite3.Connection, task_id: str, type_: str, data: str, at: str, size: int | None = None
) -> int:
    cur = db.execute(
        "INSERT INTO task_events (task_id, type, data, at, size) VALUES (?, ?, ?, ?, ?)",
        (task_id, type_, data, at, size),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def _cutoff(db: sqlite3.Connection, task_id: str, keep: int) -> int | None:
    """The newest droppable entry with ``keep`` bytes of newer output after it."""
    newer = 0
    for event_id, size in db.execute(
        "SELECT id, size FROM task_events WHERE task_id = ? AND size IS NOT NULL ORDER BY id DESC",
        (task_id,),
    ):
        if newer >= keep:
            return int(event_id)
        newer += size
    return None


def _slice_end(db: sqlite3.Connection, task_id: str, cutoff: int) -> int:
    """Where the oldest DROP_SLICE bytes of droppable output end, or ``cutoff`` first."""
    total = 0
    for event_id, size in db.execute(
        "SELECT id, size FROM task_events WHERE task_id = ? AND size IS NOT NULL AND id <= ?"
        " ORDER BY id",
        (task_id, cutoff),
    ):
        total += size
        if total >= DROP_SLICE:
            return int(event_id)
    return cutoff


def _drop_through(db: sqlite3.Connection, task_id: str, end: int) -> None:
    """Drop the droppable entries up to ``end`` and put the marker, with the totals
    of every drop so far, in the place of the newest: the log still reads in order."""
    span = (task_id, end)
    where = "WHERE task_id = ? AND size IS NOT NULL AND id <= ?"
    dropped, lines = db.execute(
        f"SELECT SUM(size), SUM(size > 0) FROM task_events {where}", span
    ).fetchone()
    before = db.execute(f"SELECT data FROM task_events {where} AND size = 0", span).fetchone()
    earlier = json.loads(before[0]) if before else {"bytes": 0, "lines": 0}
    db.execute(f"DELETE FROM task_events {where}", span)
    db.execute("UPDATE tasks SET output_bytes = output_bytes - ? WHERE id = ?", (dropped, task_id))
    marker = {"bytes": earlier["bytes"] + dropped, "lines": earlier["lines"] + lines}
    db.execute(
        "INSERT INTO task_events (id, task_id, type, data, at, size) VALUES (?, ?, ?, ?, ?, 0)",
        (end, task_id, DROPPED, json.dumps(marker), now()),
    )


Parser = Callable[[str], list[AgentEvent]]


def _parser(db: sqlite3.Connection, task_id: str) -> Parser:
    """A fresh parser of the task's agent, for the events of lines kept raw."""
    row = db.execute("SELECT agent FROM tasks WHERE id = ?", (task_id,)).fetchone()
    agent = REGISTRY.get(row[0]) if row else None
    return agent.parser() if agent else lambda line: []


def _read_size(row: sqlite3.Row) -> int:
    """What an entry weighs in a page: a raw line counts twice, as itself and its events."""
    line = row["line"]
    return len(row["data"]) + (2 * len(line) if line is not None else 0)


def _event(row: sqlite3.Row, parse: Parser) -> Event:
    data = json.loads(row["data"])
    line = row["line"]
    if line is not None:
        data = {"line": line, **data, "events": [to_dict(e) for e in parse(line)]}
    return Event(int(row["id"]), str(row["task_id"]), str(row["type"]), data, str(row["at"]))
