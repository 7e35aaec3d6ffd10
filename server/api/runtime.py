"""Handlers for the container runtime and the agents' sandbox images."""

from __future__ import annotations

from aiohttp import web

from server.api.common import TASKS, ok
from server.errors import NotFound
from server.images import IMAGES


async def runtime(request: web.Request) -> web.Response:
    tasks = request.app[TASKS]
    return ok(await tasks.io(tasks.engine.runtime))


async def list_images(request: web.Request) -> web.Response:
    return ok({"images": request.app[TASKS].images.status()})


async def prepare_image(request: web.Request) -> web.Response:
    agent = request.match_info["agent"]
    if agent not in IMAGES:
        raise NotFound(f"no image {agent!r}; images are {', '.join(IMAGES)}")
    images = request.app[TASKS].images
    images.prepare(agent)
    return ok({"images": images.status()}, status=202)
