"""Handlers for /api/tasks/{id}/attempts: one prompt run by several agents at once."""

from __future__ import annotations

from aiohttp import web

from server.api.common import ok, read_json, services, string
from server.errors import ApiError, BadRequest


async def start_attempts(request: web.Request) -> web.Response:
    """``{"attempts": [{"agent", "model"}, ...]}``: each left out is the original's."""
    specs = (await read_json(request)).get("attempts")
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise BadRequest('"attempts" must be a list of {"agent", "model"}', field="attempts")
    checked = []
    for index, spec in enumerate(specs):
        try:
            unknown = set(spec) - {"agent", "model"}
            if unknown:
                raise BadRequest(f"unknown field {min(unknown)!r}", field=min(unknown))
            checked.append({name: string(spec, name, required=False) for name in spec})
        except ApiError as exc:
            exc.message = f"attempts[{index}]: {exc.message}"
            raise
    made = await services(request).attempts.start(request.match_info["id"], checked)
    return ok({"attempts": [task.to_json() for task in made]}, status=202)


async def list_attempts(request: web.Request) -> web.Response:
    """The original (``original``: its id) and its attempts, oldest first."""
    group = await services(request).attempts.group(request.match_info["id"])
    first = group[0]  # the task asked for is one of them
    original = first.attempt_of or first.id
    return ok({"original": original, "tasks": [t.to_json() for t in group]})
