"""Handlers for the container runtime and the agents' sandbox images."""

from __future__ import annotations

from aiohttp import web

from server.api.common import ok, services
from server.errors import NotFound
from server.images import IMAGES


async def runtime(request: web.Request) -> web.Response:
    tasks = services(request).tasks
    return ok(await tasks.io(services(request).engine.runtime))


async def list_images(request: web.Request) -> web.Response:
    images = services(request).images
    return ok({"images": await services(request).io(images.status)})  # may hash a CLI


async def prepare_image(request: web.Request) -> web.Response:
    agent = request.match_info["agent"]
    if agent not in IMAGES:
        raise NotFound(f"no image {agent!r}; images are {', '.join(IMAGES)}")
    images = services(request).images
    images.prepare(agent)
    return ok({"images": await services(request).io(images.status)}, status=202)
