"""Handlers for /api/tasks: the board's resource."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from server import budget, bulk, tags
from server.api import sse, templates
from server.api.common import (
    client,
    int_query,
    ok,
    read_json,
    services,
    string,
)
from server.errors import ApiError, BadRequest, TooLarge
from server.model import Task
from server.states import LIVE_LOG, Status
from server.store import Order, Store

_PAGE = 500
# A search is a few words; more is a mistake or an attack on the index.
MAX_QUERY_CHARS = 500
# Reads one page of (id, SSE event name, JSON data) rows after a given id, and
# whether more follow.
Fetch = Callable[[int], tuple[list[tuple[int, str, str]], bool]]


def _id(request: web.Request) -> str:
    return request.match_info["id"]


async def list_tasks(request: web.Request) -> web.Response:
    statuses = _statuses(request.query.getall("status", []))
    limit = int_query(request, "limit", 100, 1, 1000)
    try:
        order = Order(request.query.get("order", Order.RECENT))
    except ValueError as exc:
        raise BadRequest("order must be recent or position", field="order") from exc
    archived = {"true": True, "false": False, None: None}.get(request.query.get("archived"), ...)
    if archived is ...:
        raise BadRequest("archived must be true or false", field="archived")
    text = request.query.get("q", "")
    if len(text) > MAX_QUERY_CHARS or "\0" in text:
        raise BadRequest(f"q must be at most {MAX_QUERY_CHARS} characters, without NUL", field="q")
    # The board's stream resumes from here: a change made while the page is read
    # or before the stream opens is then replayed, not lost.
    seq = await services(request).tasks.io(services(request).store.newest_board_seq)
    tasks, next_cursor = await services(request).tasks.page(
        statuses,
        limit,
        request.query.get("cursor") or None,
        order,
        archived,
        text=text,
        repos=request.query.getall("repo", []),  # repeated: a path may hold a comma
        agents=_listed(request, "agent"),
        tags=_listed(request, "tag"),
    )
    behind = await services(request).tasks.behind(tasks)
    return ok({"tasks": [_json(t, behind) for t in tasks], "next": next_cursor, "seq": seq})


def _json(task: Task, behind: dict[str, int]) -> dict[str, Any]:
    """A task as the board shows it: with ``behind`` where it was counted."""
    shown = task.to_json()
    if task.id in behind:
        shown["behind"] = behind[task.id]
    return shown


def _statuses(names: object) -> list[Status]:
    """Statuses given as a list or a string, each item possibly comma-separated."""
    items = [names] if isinstance(names, str) else names
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise BadRequest("status must be a list of statuses", field="status")
    statuses = []
    for name in (n for item in items for n in item.split(",") if n):
        try:
            statuses.append(Status(name))
        except ValueError as exc:
            known = ", ".join(s.value for s in Status)
            raise BadRequest(
                f"unknown status {name!r}; use one of {known}", field="status"
            ) from exc
    return statuses


def _listed(request: web.Request, name: str) -> list[str]:
    """A query parameter given repeated, comma-separated, or both."""
    return [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]


async def bulk_action(request: web.Request) -> web.Response:
    """``ids`` names the tasks; archiving may name statuses instead ("archive all done")."""
    data = await read_json(request)
    tasks = services(request).tasks
    action = data.get("action")
    if action not in bulk.verbs(tasks):
        known = ", ".join(bulk.verbs(tasks))
        raise BadRequest(f'"action" must be one of {known}', field="action")
    if ("ids" in data) == ("status" in data):
        raise BadRequest('give either "ids" or "status"', field="ids")
    if "status" in data:
        if action != "archive":
            raise BadRequest(
                f"only archive may select tasks by status; list the ids to {action}",
                field="status",
            )
        statuses = _statuses(data["status"])
        if not statuses:
            raise BadRequest("name at least one status", field="status")
        found, _ = await tasks.page(statuses, bulk.MAX_SELECTED, None, Order.RECENT, False)
        ids = [task.id for task in found]
    else:
        ids = data["ids"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise BadRequest('"ids" must be a non-empty list of task ids', field="ids")
        if len(ids) > bulk.MAX_IDS:
            raise TooLarge(f"at most {bulk.MAX_IDS} ids at once", field="ids")
    return ok({"results": await bulk.apply(tasks, action, ids)})


async def create_task(request: web.Request) -> web.Response:
    data = await read_json(request)
    task = await services(request).tasks.create(await _new_task(request, data))
    return ok(task.to_json(), status=201)


async def create_batch(request: web.Request) -> web.Response:
    """``{"tasks": [{"ref", "depends_on": [refs or ids], ...}]}``: all made, or none."""
    items = (await read_json(request)).get("tasks")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadRequest('"tasks" must be a list of tasks', field="tasks")
    fields = []
    for index, item in enumerate(items):
        try:
            fields.append({**await _new_task(request, item), "ref": item.get("ref")})
        except ApiError as exc:
            exc.message = f"tasks[{index}]: {exc.message}"
            raise
    made = await services(request).tasks.create_plan(fields)
    refs = {item["ref"]: task.id for item, task in zip(fields, made, strict=True) if item["ref"]}
    return ok({"tasks": [t.to_json() for t in made], "refs": refs}, status=201)


async def _new_task(request: web.Request, data: dict[str, Any]) -> dict[str, Any]:
    """A new task's fields, each of the type it must be (their values are checked later);
    its prompt given or made from a template."""
    fields: dict[str, Any] = {
        name: string(data, name, required=False)
        for name in ("repo", "title", "agent", "model", "scheduled_at")
    }
    fields["prompt"] = await templates.prompt(request, data)
    fields["depends_on"] = data.get("depends_on")
    fields["also"] = data.get("also")
    fields["tags"] = tags.checked(data["tags"]) if "tags" in data else []
    if "budget_usd" in data:  # left out: the settings' default budget
        fields["budget_usd"] = budget.checked(data["budget_usd"], "budget_usd")
    for name in _SWITCHES:
        fields[name] = _switch(data, name)
    return fields


# Per task: true or false, or null to follow the setting of the same name.
_SWITCHES = ("auto_test", "auto_accept")


def _switch(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise BadRequest(f'"{name}" must be true, false or null (as the settings say)', field=name)
    return value


async def get_task(request: web.Request) -> web.Response:
    tasks = services(request).tasks
    task = await tasks.get(_id(request))
    return ok(_json(task, await tasks.behind([task])))


async def sync_task(request: web.Request) -> web.Response:
    tasks = services(request).tasks
    task = await tasks.sync(_id(request))
    return ok(_json(task, await tasks.behind([task])))


async def edit_task(request: web.Request) -> web.Response:
    data = await read_json(request)
    editable = (
        "prompt",
        "title",
        "position",
        "archived",
        "tags",
        "budget_usd",
        "depends_on",
        "scheduled_at",
        *_SWITCHES,
    )
    unknown = set(data) - set(editable)
    if unknown:
        raise BadRequest(
            f"cannot edit {', '.join(sorted(unknown))}; only {', '.join(editable)}",
            field=min(unknown),
        )
    if not data:
        raise BadRequest(f"give one of {', '.join(editable)} to change")
    changes: dict[str, Any] = {
        n: string(data, n, required=True) for n in ("prompt", "title") if n in data
    }
    if "scheduled_at" in data:  # null or "" clears it
        changes["scheduled_at"] = string(data, "scheduled_at", required=False) or ""
    if "depends_on" in data:
        changes["depends_on"] = data["depends_on"] or []
    if "position" in data:
        position = data["position"]
        if not isinstance(position, int | float) or isinstance(position, bool):
            raise BadRequest('"position" must be a number', field="position")
        if not math.isfinite(position):
            raise BadRequest('"position" must be finite', field="position")
        changes["position"] = float(position)
    if "archived" in data:
        if not isinstance(data["archived"], bool):
            raise BadRequest('"archived" must be true or false', field="archived")
        changes["archived"] = data["archived"]
    if "tags" in data:
        changes["tags"] = tags.checked(data["tags"])
    if "budget_usd" in data:
        changes["budget_usd"] = budget.checked(data["budget_usd"], "budget_usd")
    changes.update({name: _switch(data, name) for name in _SWITCHES if name in data})
    task = await services(request).tasks.edit(_id(request), changes)
    return ok(task.to_json())


async def delete_task(request: web.Request) -> web.Response:
    await services(request).tasks.delete(_id(request))
    return ok({"deleted": _id(request)})


async def prepare_task(request: web.Request) -> web.Response:
    ready = await services(request).tasks.prepare(_id(request))
    return ok({"id": _id(request), "ready": ready}, status=202)


async def start_task(request: web.Request) -> web.Response:
    return ok((await services(request).tasks.start(_id(request))).to_json(), status=202)


async def feedback_task(request: web.Request) -> web.Response:
    data = await read_json(request)
    message = string(data, "message", required=True)
    assert message is not None
    return ok((await services(request).tasks.feedback(_id(request), message)).to_json(), status=202)


async def accept_task(request: web.Request) -> web.Response:
    """The body is optional: ``{"message"}`` replaces the proposed commit message."""
    data = await read_json(request) if request.body_exists else {}
    message = string(data, "message", required=False)
    task = await services(request).tasks.accept(_id(request), message)
    return ok(task.to_json(), status=202)


async def verify_task(request: web.Request) -> web.Response:
    """Start a verifier on the task's change; its verdict comes on the task later."""
    return ok((await services(request).verifier.verify(_id(request))).to_json(), status=202)


async def cancel_task(request: web.Request) -> web.Response:
    return ok((await services(request).tasks.cancel(_id(request))).to_json(), status=202)


async def retry_task(request: web.Request) -> web.Response:
    return ok((await services(request).tasks.retry(_id(request))).to_json(), status=202)


async def resume_task(request: web.Request) -> web.Response:
    return ok((await services(request).tasks.resume(_id(request))).to_json(), status=202)


async def task_events(request: web.Request) -> web.Response:
    """A page of the log, oldest first, never the whole of a big one: ``next`` is the
    ``after`` of the page after it; with ``before``, ``earlier`` is the one before it."""
    after = int_query(request, "after", 0, 0, 2**62)
    limit = int_query(request, "limit", _PAGE, 1, 5000)
    before = int_query(request, "before", -1, 0, 2**62)
    backwards = before >= 0
    events, more = await services(request).tasks.events(
        _id(request), after, limit, before if backwards else None
    )
    body: dict[str, Any] = {"events": [e.to_json() for e in events]}
    if backwards:
        body["earlier"] = events[0].id if more else None
    else:
        body["next"] = events[-1].id if more else None
    return ok(body)


async def task_turns(request: web.Request) -> web.Response:
    return ok({"turns": await services(request).tasks.turns(_id(request))})


async def task_diff(request: web.Request) -> web.Response:
    return ok(await services(request).tasks.diff(_id(request)))


async def task_conflicts(request: web.Request) -> web.Response:
    return ok(await services(request).tasks.conflicts(_id(request)))


async def task_logs(request: web.Request) -> web.StreamResponse:
    """Replay the task's log, then follow it live; the stream ends when the run does."""
    tasks = services(request).tasks
    task_id = _id(request)
    await tasks.get(task_id)
    after = sse.last_event_id(request) or 0
    log_page = _log_page(tasks.store, task_id)
    with services(request).hub.task(task_id, client(request)) as changed:
        response = await sse.open_stream(request)
        with sse.until_client_leaves():
            while True:
                after = await _send_new(request, response, log_page, after)
                task = await tasks.io(tasks.store.get_task, task_id)
                if task is None or task.status not in LIVE_LOG:
                    # Entries written between the send above and this status read.
                    await _send_new(request, response, log_page, after)
                    await sse.send(response, "end", "{}", None)
                    break
                if not await changed.wait(sse.HEARTBEAT_S):
                    await sse.ping(response)
        return response


def _log_page(store: Store, task_id: str) -> Fetch:
    def fetch(after: int) -> tuple[list[tuple[int, str, str]], bool]:
        events, more = store.events(task_id, after, _PAGE)
        return [(e.id, e.type, e.sse_data()) for e in events], more

    return fetch


async def _send_new(
    request: web.Request, response: web.StreamResponse, fetch: Fetch, after: int
) -> int:
    """Send every stored entry after ``after``, page by page; return the last id sent."""
    io = services(request).tasks.io
    while True:
        rows, more = await io(fetch, after)
        for id_, type_, data in rows:
            await sse.send(response, type_, data, id_)
            after = id_
        if not more:
            return after


async def board_stream(request: web.Request) -> web.StreamResponse:
    """Board changes with sequence ids; a reconnect with Last-Event-ID replays what it missed."""
    tasks = services(request).tasks
    store = services(request).store
    last = sse.last_event_id(request)

    def board_page(after: int) -> tuple[list[tuple[int, str, str]], bool]:
        rows = store.board_events_after(after, _PAGE)
        return rows, len(rows) == _PAGE

    with services(request).hub.board(client(request)) as changed:
        response = await sse.open_stream(request)
        if last is None:
            last = await tasks.io(store.newest_board_seq)
            await sse.send(response, "ready", json.dumps({"seq": last}), last)
        elif last + 1 < await tasks.io(store.oldest_board_seq):
            # Too far behind: the events it missed were pruned. Refetch the board.
            await sse.send(response, "resync", "{}", None)
            return response
        with sse.until_client_leaves():
            while True:
                last = await _send_new(request, response, board_page, last)
                if not await changed.wait(sse.HEARTBEAT_S):
                    await sse.ping(response)
        return response
