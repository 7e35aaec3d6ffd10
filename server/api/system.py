"""Handlers outside the task resource."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from aiohttp import web

from server.api.common import ok, services


def app_version() -> str:
    try:
        return version("wallfacer")
    except PackageNotFoundError:
        return "0.0.0+source"


async def health(request: web.Request) -> web.Response:
    """Liveness plus what readiness needs: can we reach the engine, can we write."""
    tasks = services(request).tasks
    docker = await tasks.io(services(request).engine.available)
    writable = await tasks.io(services(request).store.writable)
    return ok(
        {
            "status": "ok" if writable else "degraded",
            "version": app_version(),
            "docker": docker,
            "store": writable,
        }
    )


async def metrics(request: web.Request) -> web.Response:
    tasks = services(request).tasks
    body = await tasks.io(services(request).metrics.render)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")
