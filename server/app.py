"""Assembling the aiohttp application and serving it until asked to stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from server.api.common import LIMITER, SERVICES, SESSIONS, SETTINGS
from server.api.errors import errors
from server.auth import guard, security_headers
from server.credentials import token_hash
from server.lifecycle import Listener
from server.ratelimit import LoginLimiter
from server.routes import DEFAULT_MAX_BODY, ROUTES, Handler, install
from server.services import Services
from server.sessions import Epoch, Sessions
from server.settings import Settings

log = logging.getLogger(__name__)
_HANDLERS: web.AppKey[set[asyncio.Task[object]]] = web.AppKey("handlers")


def build_app(settings: Settings, on_change: Listener | None = None) -> web.Application:
    """The whole server, its parts made when it starts and closed when it stops.

    ``on_change`` hears of every status change (on the server's loop), with the
    counts per status. It reads the token files: call it off the loop.
    """
    sessions = Sessions(settings.api_token(), Epoch(settings.data_dir))

    async def valid_api_token(token: str) -> bool:
        store = app[SERVICES].store
        return await app[SERVICES].io(store.token_valid, token_hash(token))

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
    app[SETTINGS] = settings
    app[_HANDLERS] = set()
    install(app)
    app.on_response_prepare.append(security_headers(sessions))
    app.cleanup_ctx.append(_services(on_change))
    app.on_shutdown.append(_close_streams)
    app.middlewares.insert(0, _track_streams)
    return app


def _services(
    on_change: Listener | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        services = await Services.open(app[SETTINGS])
        if on_change is not None:
            services.life.listeners.append(on_change)
        app[SERVICES] = services
        yield
        await services.close()

    return ctx


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


async def _close_streams(app: web.Application) -> None:
    for task in app[_HANDLERS].copy():
        task.cancel()


async def serve(
    settings: Settings,
    on_ready: Callable[[str, Callable[[str], str]], None] | None = None,
    on_change: Listener | None = None,
) -> None:
    """Serve until cancelled.

    Once the port is bound, ``on_ready`` gets the base URL and a function that
    makes one-time sign-in URLs of a kind, "browser" or "desktop" (call it on
    the server's loop).
    """
    loop = asyncio.get_running_loop()
    app = await loop.run_in_executor(None, build_app, settings, on_change)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        tls = settings.tls_context()
        site = web.TCPSite(runner, settings.host, settings.port, ssl_context=tls)
        await site.start()
        port = runner.addresses[0][1]
        url = f"{'https' if tls else 'http'}://{_url_host(settings.host)}:{port}"
        log.info("serving on %s", url)
        if on_ready is not None:
            sessions = app[SESSIONS]
            on_ready(url, lambda kind: f"{url}/?token={sessions.issue_code(24 * 3600, kind)}")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
