"""Assembling the aiohttp application and serving it until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from aiohttp import web

from runner.containers import Engine
from runner.errors import RunnerError
from server.api.common import HUB, IO, LIMITER, SESSIONS, SETTINGS, STORE, TASKS
from server.api.errors import errors
from server.auth import guard, security_headers
from server.blocking import Blocking
from server.credentials import token_hash
from server.events import Hub
from server.images import EGRESS
from server.model import Task
from server.ratelimit import LoginLimiter
from server.routes import DEFAULT_MAX_BODY, ROUTES, Handler, install
from server.sessions import Epoch, Sessions
from server.settings import Settings
from server.states import Status
from server.store import Store
from server.tasks import Tasks

log = logging.getLogger(__name__)
_HANDLERS: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("handlers")


def build_app(settings: Settings) -> web.Application:
    """The whole server: store, lifecycle and routes, ready to be run.

    It opens files (the store, the token, saved settings): call it off the loop.
    """
    io = Blocking()
    store = Store(settings.db_path)
    sessions = Sessions(settings.api_token(), Epoch(settings.data_dir))

    async def valid_api_token(token: str) -> bool:
        return await io(store.token_valid, token_hash(token))

    app = web.Application(
        middlewares=[
            errors,
            guard(
                settings.host,
                settings.allowed_hosts,
                settings.api_token(),
                sessions,
                valid_api_token,
            ),
        ],
        client_max_size=max(DEFAULT_MAX_BODY, *(r.max_body for r in ROUTES)),
    )
    app[SESSIONS] = sessions
    app[LIMITER] = LoginLimiter()
    hub = Hub()
    app[SETTINGS] = settings
    app[IO] = io
    app[STORE] = store
    app[HUB] = hub
    app[TASKS] = Tasks(settings, store, hub, io, Engine())
    app[_HANDLERS] = set()
    install(app)
    app.on_response_prepare.append(security_headers(sessions))
    app.on_startup.append(_startup)
    app.on_shutdown.append(_close_streams)
    app.on_cleanup.append(_cleanup)
    app.middlewares.insert(0, _track_streams)
    return app


@web.middleware
async def _track_streams(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Remember running handlers so long-lived SSE streams can be closed on shutdown."""
    task = asyncio.current_task()
    assert task is not None
    handlers = request.app[_HANDLERS]
    handlers.add(task)
    try:
        return await handler(request)
    finally:
        handlers.discard(task)


async def _startup(app: web.Application) -> None:
    settings, tasks = app[SETTINGS], app[TASKS]
    for repo in settings.repos:
        await app[IO](app[STORE].add_repo, str(repo))
    tasks.spawn(tasks.recover())
    tasks.spawn(_prepare_default_image(tasks))


async def _prepare_default_image(tasks: Tasks) -> None:
    """Have the default agent's image (and the egress proxy's) ready before the first
    task needs it."""
    wanted = [tasks.config.current.default_agent]
    if tasks.config.current.egress == "allowlist":
        wanted.append(EGRESS)
    for name in wanted:
        with contextlib.suppress(RunnerError):  # shown in the header; retried on demand
            await tasks.images.prepare(name)


async def _close_streams(app: web.Application) -> None:
    for task in app[_HANDLERS].copy():
        task.cancel()


async def _cleanup(app: web.Application) -> None:
    tasks, _ = await app[IO](app[STORE].list_tasks, [Status.IN_PROGRESS], 100_000)
    live = [t for t in tasks if t.container_id]
    if live:
        log.info(
            "leaving %d task container(s) running; they are reattached on the next start",
            len(live),
        )
    app[IO].shutdown()


async def serve(
    settings: Settings,
    on_ready: Callable[[str, Callable[[str], str]], None] | None = None,
    on_change: Callable[[Task, dict[str, int]], None] | None = None,
) -> None:
    """Serve until cancelled.

    Once the port is bound, ``on_ready`` gets the base URL and a function that
    makes one-time sign-in URLs of a kind, "browser" or "desktop" (call it on
    the server's loop). ``on_change`` hears of every status change (on the
    server's loop), with the counts per status.
    """
    app = await asyncio.get_running_loop().run_in_executor(None, build_app, settings)
    if on_change is not None:
        app[TASKS].listeners.append(on_change)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    tls = None
    if settings.tls_cert is not None and settings.tls_key is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(settings.tls_cert, settings.tls_key)
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=tls)
    await site.start()
    port = runner.addresses[0][1]
    url = f"{'https' if tls else 'http'}://{_url_host(settings.host)}:{port}"
    log.info("serving on %s", url)
    if on_ready is not None:
        sessions = app[SESSIONS]
        on_ready(url, lambda kind: f"{url}/?token={sessions.issue_code(24 * 3600, kind)}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
