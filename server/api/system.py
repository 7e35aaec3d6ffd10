"""Handlers outside the task resource."""

from __future__ import annotations

import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from aiohttp import web

from server.api.common import SETTINGS, ok, services

# Less free space than this on the data dir's disk, and the next write may fail: a
# small write can still fit (SQLite reuses its log), so a probe alone would miss it.
FULL_BELOW = 1024 * 1024


def _full(data_dir: Path) -> bool:
    return shutil.disk_usage(data_dir).free < FULL_BELOW


def app_version() -> str:
    try:
        return version("wallfacer")
    except PackageNotFoundError:
        return "0.0.0+source"


async def health(request: web.Request) -> web.Response:
    """Liveness plus what readiness needs: can we reach the engine, can we write.

    Always 200 while the process answers: the Dockerfile's HEALTHCHECK (and any
    supervisor) asks only whether to restart it, and a restart cures neither a
    stopped engine nor a full disk; "degraded" and its reasons say what is wrong.
    """
    tasks = services(request).tasks
    docker = await tasks.io(services(request).engine.available)
    full = await tasks.io(_full, request.app[SETTINGS].data_dir)
    writable = not full and await tasks.io(services(request).store.writable)
    reasons = [
        *([] if docker else ["the container engine is unreachable"]),
        *(["the data directory's disk is full"] if full else []),
        *([] if writable else ["the store cannot be written"]),
    ]
    return ok(
        {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "version": app_version(),
            "docker": docker,
            "store": writable,
        }
    )


async def metrics(request: web.Request) -> web.Response:
    tasks = services(request).tasks
    body = await tasks.io(services(request).metrics.render)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")
