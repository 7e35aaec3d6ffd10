"""Handlers for what the board shows around the tasks: rules, totals, repos, settings."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from runner.backends import EGRESS_MODES
from server import states
from server.api.common import SETTINGS, ok, read_json, services, string
from server.errors import BadRequest, Unprocessable
from server.states import Status


async def rules(request: web.Request) -> web.Response:
    """Statuses, columns, groups and transitions: the board keeps no copy of its own."""
    return ok(states.describe())


async def stats(request: web.Request) -> web.Response:
    """Counts per status, the queue for a slot, and the cost since ``?since=`` (the
    client's local midnight). A queued task is in progress but not running yet."""
    raw = request.query.get("since")
    try:
        since = datetime.fromisoformat(raw) if raw else _utc_midnight()
    except ValueError as exc:
        raise BadRequest("since must be an ISO 8601 time", field="since") from exc
    if since.tzinfo is None:
        raise BadRequest("since must include a time zone, e.g. 2026-01-31T23:00:00Z", field="since")
    stamp = since.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    tasks, store = services(request).tasks, services(request).store
    counts = await tasks.io(store.counts)
    cost = await tasks.io(store.cost_since, stamp)
    queue = await services(request).runs.queue()
    return ok(
        {
            "counts": counts,
            "running": max(0, sum(counts.get(s, 0) for s in states.RUNNING) - len(queue)),
            "queue": queue,
            "waiting": counts.get(Status.WAITING, 0),
            "cost_since": round(cost, 6),
            "since": stamp,
        }
    )


def _utc_midnight() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def list_repos(request: web.Request) -> web.Response:
    return ok({"repos": await services(request).tasks.repos()})


async def add_repo(request: web.Request) -> web.Response:
    data = await read_json(request)
    path = string(data, "path", required=True)
    assert path is not None
    registered = await services(request).tasks.register_repo(path)
    return ok({"path": registered}, status=201)


async def get_config(request: web.Request) -> web.Response:
    tasks = services(request).tasks
    env = await tasks.io(tasks.config.masked_env)
    # Reads the env file and hashes the bundled images' files: off the loop.
    settings = await tasks.io(tasks.config.to_json, services(request).images.image_for)
    return ok({**settings, "env": env})


async def put_config(request: web.Request) -> web.Response:
    """Change settings and the agent env; values not given stay as they are."""
    data = await read_json(request)
    modes = EGRESS_MODES.get(request.app[SETTINGS].backend, ())
    if modes and "egress" in data and data["egress"] not in modes:
        raise Unprocessable(f"this server's backend takes egress {' or '.join(modes)}", "egress")
    env = data.pop("env", None)
    if env is not None and not isinstance(env, dict):
        raise BadRequest('"env" must be an object of NAME: value (or null to remove)', field="env")
    await services(request).tasks.configure(data, env or {})
    return await get_config(request)
