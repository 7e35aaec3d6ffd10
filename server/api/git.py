"""Handlers for a registered repository's git panel: status and push."""

from __future__ import annotations

from aiohttp import web

from server.api.common import ok, read_json, services, string
from server.errors import BadRequest


async def git_status(request: web.Request) -> web.Response:
    path = request.query.get("path")
    if not path:
        raise BadRequest("?path= is required: a registered repository", field="path")
    return ok(await services(request).remotes.status(path))


async def push(request: web.Request) -> web.Response:
    path = string(await read_json(request), "path", required=True)
    assert path is not None
    return ok(await services(request).remotes.push(path))
