"""Handlers for /api/tasks/{id}/preview: the user names the port, the board hands out
the URL (with its token) that ``server.previews`` serves."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api.common import ok, read_json, services
from server.errors import BadRequest, NotFound, Unprocessable
from server.hosts import hostname
from server.previews import TOKEN_PARAM, Preview


def _id(request: web.Request) -> str:
    return request.match_info["id"]


async def set_preview(request: web.Request) -> web.Response:
    data = await read_json(request)
    port = data.get("port")
    if port is None:
        raise BadRequest('"port" is required', field="port")
    if not isinstance(port, int) or isinstance(port, bool):
        raise BadRequest('"port" must be an integer', field="port")
    if not 1 <= port <= 65535:
        raise Unprocessable('"port" must be from 1 to 65535', field="port")
    preview = await services(request).previews.set(_id(request), port)
    return ok(_json(request, preview))


async def get_preview(request: web.Request) -> web.Response:
    await services(request).life.get(_id(request))  # 404 for no such task
    preview = services(request).previews.get(_id(request))
    if preview is None:
        raise NotFound("the task has no preview; set one with a port while its run goes")
    return ok(_json(request, preview))


async def stop_preview(request: web.Request) -> web.Response:
    await services(request).life.get(_id(request))
    stopped = await services(request).previews.clear(_id(request))
    return ok({"id": _id(request), "stopped": stopped})


def _json(request: web.Request, preview: Preview) -> dict[str, Any]:
    """The URL names the host the board was reached at when previews listen on every
    address, since that is the name the browser knows this machine by."""
    previews = services(request).previews
    host = previews.settings.preview_host
    if host in ("", "0.0.0.0", "::"):
        host = hostname(request.host) or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if previews.secure else "http"
    return {
        "id": preview.task_id,
        "port": preview.port,
        "url": f"{scheme}://{host}:{preview.listen}/?{TOKEN_PARAM}={preview.token}",
    }
