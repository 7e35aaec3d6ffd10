"""Tasks: the rows the board shows, and their moves (each logged in ``log``)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, fields
from enum import StrEnum
from typing import Any

from runner.agents.events import Usage
from server import plans
from server.errors import Conflict, Unprocessable
from server.model import Also, Event, Task, display_title
from server.states import MET, Status
from server.store.board import record
from server.store.db import Database, now
from server.store.log import append
from server.store.search import match_expression
from server.store.usage import USAGE_COLUMNS

# Each task with the dependencies it still waits for (the ones not done).
_TASK_SELECT = (
    "SELECT t.rowid AS rowid, t.*, (SELECT json_group_array(json_object('id', d.id,"
    " 'title', d.title, 'prompt', substr(d.prompt, 1, 500), 'status', d.status))"
    " FROM json_each(t.depends_on) j JOIN tasks d ON d.id = j.value"
    f" WHERE d.status NOT IN ({', '.join(repr(str(s)) for s in MET)})) AS blockers,"
    " (SELECT COUNT(*) FROM tasks a WHERE a.attempt_of = t.id AND a.attempt_of != '')"
    " AS attempts FROM tasks t"
)
_TASK_COLUMNS = {f.name for f in fields(Task)} - {"usage", "blocked_by", "attempts"}


class Order(StrEnum):
    RECENT = "recent"  # newest first
    POSITION = "position"  # the user's backlog order


class TaskRows(Database):
    # Budget edits so far: a run re-reads its task's budget only after one (``output``).
    budget_edits = 0

    def create_task(self, task: Task) -> Task:
        return self.create_tasks([task])[0]

    def create_tasks(self, tasks: list[Task]) -> list[Task]:
        """Put ``tasks`` on top of the backlog in the order given, all or none: each
        dependency must be one of them or a stored task (else 422, naming it)."""
        stamp = now()
        with self._tx() as db:
            made = {task.id for task in tasks}
            _check_known(db, [d for task in tasks for d in task.depends_on if d not in made])
            top = db.execute(
                "SELECT COALESCE(MIN(position), 0) FROM tasks WHERE status = ?", (Status.BACKLOG,)
            ).fetchone()[0]
            for offset, task in enumerate(tasks):
                db.execute(
                    "INSERT INTO tasks (id, title, prompt, status, repo, agent, model, tags,"
                    " budget_usd, position, depends_on, scheduled_at, attempt_of, also, auto_test,"
                    " auto_accept, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        task.id,
                        task.title,
                        task.prompt,
                        task.status,
                        task.repo,
                        task.agent,
                        task.model,
                        json.dumps(task.tags),
                        task.budget_usd,
                        top - len(tasks) + offset,
                        json.dumps(task.depends_on),
                        task.scheduled_at,
                        task.attempt_of,
                        _column_value(task.also),
                        task.auto_test,
                        task.auto_accept,
                        stamp,
                        stamp,
                    ),
                )
            saved = [_saved(db, task.id) for task in tasks]
            for original in {task.attempt_of for task in tasks} - {""}:
                _saved(db, original)  # its count of attempts changed: tell the board
            return saved

    def get_task(self, task_id: str) -> Task | None:
        with self._lock:
            return _get(self._db, task_id)

    def list_tasks(
        self,
        statuses: list[Status] | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: Order = Order.RECENT,
        archived: bool | None = None,
        text: str = "",
        repos: list[str] | None = None,
        agents: list[str] | None = None,
        tags: list[str] | None = None,
    ) -> tuple[list[Task], str | None]:
        """One page of tasks; pass the returned cursor to get the next page.

        ``text`` keeps the tasks whose title, prompt or last result hold every
        word of it (as a word or a word's start), in the page's usual order;
        ``tags`` keeps the tasks that carry every one of them.
        Raises ValueError for a cursor this function did not make.
        """
        where: list[str] = []
        params: list[Any] = []
        for column, values in (("status", statuses), ("repo", repos), ("agent", agents)):
            if values:
                where.append(f"t.{column} IN ({', '.join('?' for _ in values)})")
                params.extend(str(v) for v in values)
        if archived is not None:
            where.append("t.archived = ?")
            params.append(int(archived))
        for tag in tags or []:
            where.append("EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = ?)")
            params.append(tag)
        if text.strip():
            where.append("t.rowid IN (SELECT rowid FROM task_search WHERE task_search MATCH ?)")
            params.append(match_expression(text))
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

    def backlog(self, scheduled_only: bool, offset: int, limit: int) -> list[Task]:
        """Backlog tasks (not archived) in board order; only those with a
        scheduled_at if ``scheduled_only``. For the autopilot, a page at a time."""
        sql = _TASK_SELECT + " WHERE t.status = ? AND t.archived = 0"
        sql += " AND t.scheduled_at != ''" if scheduled_only else ""
        with self._lock:
            rows = self._db.execute(
                sql + " ORDER BY t.position, t.rowid LIMIT ? OFFSET ?",
                (Status.BACKLOG, limit, offset),
            ).fetchall()
        return [_task(row) for row in rows]

    def attempt_group(self, original: str) -> list[Task]:
        """The task ``original`` (unless deleted) and its attempts, oldest first."""
        with self._lock:
            rows = self._db.execute(
                _TASK_SELECT + " WHERE t.id = ? OR (t.attempt_of = ? AND t.attempt_of != '')"
                " ORDER BY t.rowid",
                (original, original),
            ).fetchall()
        return [_task(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Tasks per status, archived ones left out."""
        with self._lock:
            rows = self._db.execute(
                "SELECT status, COUNT(*) FROM tasks WHERE archived = 0 GROUP BY status"
            ).fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    def update_task(self, task_id: str, **changes: Any) -> Task:
        """Change columns of a task (not its status: see ``transition``)."""
        assignments, values = _assignments(changes)
        with self._tx() as db:
            db.execute(
                f"UPDATE tasks SET {assignments}, updated_at = ?, revision = revision + 1"
                " WHERE id = ?",
                [*values, now(), task_id],
            )
            if {"title", "prompt"} & set(changes):  # the name their "blocked by" shows
                for dependant in _dependants(db, task_id, backlog_only=True):
                    _saved(db, dependant)
            if "budget_usd" in changes:
                self.budget_edits += 1
            return _saved(db, task_id)

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
            event = append(
                db, task_id, "state", {"from": str(expected), "to": str(to), "reason": reason}
            )
            for dependant in _dependants(db, task_id, backlog_only=True):
                _saved(db, dependant)  # their blocked_by changed: tell the board
            return _saved(db, task_id), event

    def set_dependencies(self, task_id: str, depends_on: list[str]) -> Task:
        """Replace the task's dependencies; 400 naming the cycle they would close."""
        with self._tx() as db:
            _check_known(db, depends_on)
            rows = db.execute("SELECT id, depends_on FROM tasks WHERE depends_on != '[]'")
            edges = {str(row[0]): json.loads(row[1]) for row in rows}
            edges[task_id] = depends_on
            cycle = plans.find_cycle(edges, task_id)
            if cycle:
                found = {i: _get(db, i) for i in cycle}
                names = {i: repr(t.display_title()) for i, t in found.items() if t}
                raise plans.cycle_error(cycle, names)
            db.execute(
                "UPDATE tasks SET depends_on = ?, updated_at = ?, revision = revision + 1"
                " WHERE id = ?",
                (json.dumps(depends_on), now(), task_id),
            )
            return _saved(db, task_id)

    def interrupted_verdicts(self) -> list[str]:
        """Verdicts a restart cut off, each made an error: no verifier runs at a start."""
        with self._tx() as db:
            rows = db.execute(
                "UPDATE tasks SET verdict = 'error', verdict_reasons = ?, verdict_at = ?,"
                " revision = revision + 1 WHERE verdict = 'running' RETURNING id",
                ("the verifier was interrupted by a restart", now()),
            ).fetchall()
            return [_saved(db, str(row[0])).id for row in rows]

    def delete_task(self, task_id: str) -> None:
        """409 while a backlog task depends on it, naming them: a plan never loses a
        step unseen. Tasks past the backlog no longer wait for it: their edge goes."""
        with self._tx() as db:
            waiting = [_get(db, i) for i in _dependants(db, task_id, backlog_only=True)]
            if waiting:
                names = ", ".join(repr(t.display_title()) for t in waiting if t)
                raise Conflict(f"backlog tasks depend on this one: {names}; edit or delete them")
            for dependant in _dependants(db, task_id, backlog_only=False):
                db.execute(
                    "UPDATE tasks SET depends_on = (SELECT json_group_array(value)"
                    " FROM json_each(depends_on) WHERE value != ?) WHERE id = ?",
                    (task_id, dependant),
                )
                _saved(db, dependant)
            db.execute("DELETE FROM task_events WHERE task_id = ?", (task_id,))
            db.execute("DELETE FROM turns WHERE task_id = ?", (task_id,))
            original = db.execute("SELECT attempt_of FROM tasks WHERE id = ?", (task_id,))
            of = (original.fetchone() or [""])[0]
            db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
            record(db, "task-deleted", {"id": task_id})
            if of and _get(db, of):
                _saved(db, of)  # one attempt fewer


# --- helpers (call with the lock held) ---------------------------------------


def _saved(db: sqlite3.Connection, task_id: str) -> Task:
    """The task as just written, logged on the board for live clients."""
    saved = _get(db, task_id)
    if saved is None:
        raise KeyError(task_id)
    record(db, "task-updated", saved.to_json())
    return saved


def _get(db: sqlite3.Connection, task_id: str) -> Task | None:
    row = db.execute(_TASK_SELECT + " WHERE t.id = ?", (task_id,)).fetchone()
    return _task(row) if row else None


def _check_known(db: sqlite3.Connection, ids: list[str]) -> None:
    for dep in ids:
        if db.execute("SELECT 1 FROM tasks WHERE id = ?", (dep,)).fetchone() is None:
            raise Unprocessable(f"depends_on names no task: {dep}", field="depends_on")


def _dependants(db: sqlite3.Connection, task_id: str, *, backlog_only: bool) -> list[str]:
    """The tasks that name ``task_id`` in their depends_on."""
    rows = db.execute(
        "SELECT t.id FROM tasks t, json_each(t.depends_on) j"
        " WHERE t.depends_on != '[]' AND j.value = ?"
        + (" AND t.status = 'backlog'" if backlog_only else ""),
        (task_id,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def _assignments(changes: dict[str, Any]) -> tuple[str, list[Any]]:
    unknown = set(changes) - _TASK_COLUMNS
    if unknown:
        raise ValueError(f"unknown task fields: {sorted(unknown)}")
    return ", ".join(f"{name} = ?" for name in changes), [
        _column_value(v) for v in changes.values()
    ]


def _column_value(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value, default=asdict)  # ``also``: a list of records
    if isinstance(value, bool):
        return int(value)
    return value


def _task(row: sqlite3.Row) -> Task:
    values = {name: row[name] for name in _TASK_COLUMNS}
    values["status"] = Status(values["status"])
    values["archived"] = bool(values["archived"])
    for name in ("auto_test", "auto_accept"):
        values[name] = None if values[name] is None else bool(values[name])
    values["conflict_files"] = json.loads(values["conflict_files"])
    values["marked_files"] = json.loads(values["marked_files"])
    values["tags"] = json.loads(values["tags"])
    values["depends_on"] = json.loads(values["depends_on"])
    values["also"] = [Also(**record) for record in json.loads(values["also"])]
    values["blocked_by"] = [
        {"id": d["id"], "title": display_title(d["title"], d["prompt"]), "status": d["status"]}
        for d in json.loads(row["blockers"])
    ]
    usage = Usage(**{c: row[c] for c in USAGE_COLUMNS})
    return Task(usage=usage, attempts=row["attempts"], **values)
