"""Handlers outside the task resource."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from aiohttp import web

from server.api.common import STORE, TASKS, ok


def app_version() -> str:
    try:
        return version("wallfacer")
    except PackageNotFoundError:
        return "0.0.0+source"


async def health(request: web.Request) -> web.Response:
    """Liveness plus what readiness needs: can we reach the engine, can we write."""
    tasks = request.app[TASKS]
    docker = await tasks.io(tasks.engine.available)
    writable = await tasks.io(request.app[STORE].writable)
    return ok(
        {
            "status": "ok" if writable else "degraded",
            "version": app_version(),
            "docker": docker,
            "store": writable,
        }
    )


async def metrics(request: web.Request) -> web.Response:
    tasks = request.app[TASKS]
    body = await tasks.io(tasks.metrics.render)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")
