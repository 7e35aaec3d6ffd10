"""What the agents' runs cost: one row per turn, and running totals on each task's row.

Each turn names its activity: the task's own run, or a side session's (a
verifier, a helper), so the usage page and a task's turns show them apart.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from runner.agents.events import Usage
from server.store.db import Database, now

# What a turn was spent on; the task's run is "run" (see ``server.side``).
ACTIVITIES = ("run", "verify", "title", "commit")
USAGE_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cost_usd",
)


def add_turn(
    db: sqlite3.Connection,
    task_id: str,
    session_id: str,
    turn: Usage,
    is_error: bool,
    at: str,
    activity: str = "run",
) -> None:
    """Record a turn and add it to its task's totals in the same transaction, so
    listing 10,000 tasks never has to sum the turns table (call with the lock held)."""
    db.execute(
        "UPDATE tasks SET " + ", ".join(f"{c} = {c} + ?" for c in USAGE_COLUMNS) + " WHERE id = ?",
        [getattr(turn, c) for c in USAGE_COLUMNS] + [task_id],
    )
    db.execute(
        "INSERT INTO turns (task_id, session_id, is_error, "
        + ", ".join(USAGE_COLUMNS)
        + ", at, activity) VALUES (?, ?, ?, "
        + ", ".join("?" for _ in USAGE_COLUMNS)
        + ", ?, ?)",
        [
            task_id,
            session_id,
            int(is_error),
            *(getattr(turn, c) for c in USAGE_COLUMNS),
            at,
            activity,
        ],
    )


class Spending(NamedTuple):
    """A task's recorded cost and its budget."""

    cost_usd: float
    budget_usd: float | None


class UsageRows(Database):
    def spending(self, task_id: str) -> Spending:
        with self._lock:
            row = self._db.execute(
                "SELECT cost_usd, budget_usd FROM tasks WHERE id = ?", (task_id,)
            ).fetchone()
        return Spending(*row) if row else Spending(0.0, None)

    def record_turn(
        self, task_id: str, session_id: str, turn: Usage, is_error: bool, activity: str = "run"
    ) -> None:
        """Usage without an output line: a run killed before its result, or a side
        session's (whose output is not the task's log)."""
        with self._tx() as db:
            add_turn(db, task_id, session_id, turn, is_error, now(), activity)

    def session_usage(self, task_id: str, session_id: str) -> Usage:
        """What the task's runs in one agent session have counted so far: what a CLI
        that adds up over a resumed session had already reported."""
        with self._lock:
            row = self._db.execute(
                "SELECT "
                + ", ".join(f"COALESCE(SUM({c}), 0)" for c in USAGE_COLUMNS)
                + " FROM turns WHERE task_id = ? AND session_id = ?",
                (task_id, session_id),
            ).fetchone()
        return Usage(*row)

    def turns(self, task_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM turns WHERE task_id = ? ORDER BY id", (task_id,)
            ).fetchall()
        return [{k: row[k] for k in row.keys() if k != "task_id"} for row in rows]  # noqa: SIM118

    def cost_since(self, since: str) -> float:
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM turns WHERE at >= ?", (since,)
            ).fetchone()
        return float(row[0])

    def usage_by_day(self, since: str, offset_minutes: int) -> list[dict[str, Any]]:
        """Turns summed per local day (``offset_minutes`` east of UTC), repository,
        agent and activity: the usage page's data. Deleted tasks take their turns
        with them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT date(u.at, ?) AS day, t.repo AS repo, t.agent AS agent,"
                " u.activity AS activity, "
                + ", ".join(f"SUM(u.{c}) AS {c}" for c in USAGE_COLUMNS)
                + " FROM turns u JOIN tasks t ON t.id = u.task_id WHERE u.at >= ?"
                " GROUP BY day, t.repo, t.agent, u.activity"
                " ORDER BY day, t.repo, t.agent, u.activity",
                (f"{offset_minutes:+d} minutes", since),
            ).fetchall()
        return [dict(row) for row in rows]
