"""Task previews: a port the user names, of a running task's container, on an origin of its own.

- The port is the user's (``PUT /api/tasks/{id}/preview``), never one the agent
  declares: what runs in the container is untrusted, and so is all it serves.
- Each preview listens on a port of its own, so each is an origin of its own:
  an agent's page can read neither the board (whose API refuses requests from
  other origins, ``server.auth``) nor another task's preview.
- A random token in the URL the board hands out is traded, on the first
  request, for an HttpOnly cookie named for the task, and the browser is sent
  to the same URL without it, so the page never sees the token.
- Nothing forwarded carries the board's cookie nor a preview's; nothing goes
  anywhere but the task container's address and the user's port.
- A run's container is removed when the run ends (``server.runs``), so a
  preview lives as long as the task's run: it ends when the task leaves
  in_progress or its container changes.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from runner.containers import Engine
from runner.reach import container_address
from server.errors import Conflict, NotFound
from server.hosts import allowed, hostname
from server.jobs import Jobs
from server.lifecycle import Lifecycle
from server.model import Task
from server.sessions import COOKIE
from server.settings import Settings
from server.states import Status

log = logging.getLogger(__name__)

TOKEN_PARAM = "wallfacer_preview"
COOKIE_PREFIX = "wallfacer_preview_"
MAX_BODY = 16 * 1024 * 1024  # a form or an upload to a dev server, not a transfer
_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=300)
_CHUNK = 64 * 1024
# Hop-by-hop headers (RFC 9110 7.6.1) are the connection's, never forwarded; an
# Upgrade (a dev server's WebSocket) is not proxied.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)


@dataclass
class Preview:
    task_id: str
    container_id: str
    port: int  # the container's, as the user named it
    address: str  # the container's
    token: str  # only in memory and in the URL the board hands out
    listen: int  # this preview's own port
    runner: web.ServerRunner


class Previews:
    """The open previews, one listening site each; a lifecycle listener, there while
    any is open, ends them."""

    def __init__(self, life: Lifecycle, engine: Engine, jobs: Jobs, settings: Settings) -> None:
        self.life = life
        self.engine = engine
        self.jobs = jobs
        self.settings = settings
        self._open: dict[str, Preview] = {}
        self._lock = asyncio.Lock()
        self._client: aiohttp.ClientSession | None = None
        self._hosts = allowed((settings.host, settings.preview_host, *settings.allowed_hosts))
        self._tls = settings.tls_context()

    @property
    def secure(self) -> bool:
        return self._tls is not None

    def get(self, task_id: str) -> Preview | None:
        return self._open.get(task_id)

    async def set(self, task_id: str, port: int) -> Preview:
        """Preview ``port`` of the task's running container; a preview already open for
        this run keeps its address and token and only changes port."""
        task = await self.life.get(task_id)
        if task.status != Status.IN_PROGRESS:
            raise Conflict(
                f"task is {task.status}: a preview needs the task's run going, since its "
                "container is removed when the run ends"
            )
        if not task.container_id:
            raise Conflict("the task's container is not started yet; try again in a moment")
        address = await self.life.io(container_address, self.engine, task.container_id)
        async with self._lock:
            current = self._open.get(task_id)
            if current is not None and current.container_id == task.container_id:
                current.port, current.address = port, address
                return current
            if current is not None:
                await self._close(task_id)
            preview = await self._listen(task, port, address)
            self._open[task_id] = preview
            if self.moved not in self.life.listeners:
                self.life.listeners.append(self.moved)
            # A run that ended before the listener was there would leave it open.
            if (await self.life.get(task_id)).container_id != task.container_id:
                await self._close(task_id)
                raise Conflict("the task's run ended meanwhile; its container is gone")
            log.info("task %s: preview of port %d on port %d", task_id[:8], port, preview.listen)
            return preview

    async def clear(self, task_id: str) -> bool:
        """Stop the task's preview; whether there was one."""
        async with self._lock:
            return await self._close(task_id)

    def moved(self, task: Task, counts: dict[str, int]) -> None:
        """A lifecycle listener: a task that leaves in_progress has no container to show."""
        if task.id in self._open and task.status != Status.IN_PROGRESS:
            self.jobs.spawn(self.clear(task.id))

    async def close(self) -> None:
        async with self._lock:
            for task_id in list(self._open):
                await self._close(task_id)
        if self._client is not None:
            await self._client.close()

    async def _close(self, task_id: str) -> bool:
        preview = self._open.pop(task_id, None)
        if preview is None:
            return False
        await preview.runner.cleanup()
        if not self._open and self.moved in self.life.listeners:
            # Listening costs each status change a count of the board: only while needed.
            self.life.listeners.remove(self.moved)
        return True

    async def _listen(self, task: Task, port: int, address: str) -> Preview:
        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            return await self._serve(task.id, request)

        # No access log: the first request's URL holds the token.
        server = web.Server(handle, access_log=None)
        runner = web.ServerRunner(server, shutdown_timeout=1)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.settings.preview_host, 0, ssl_context=self._tls)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        listen = int(runner.addresses[0][1])
        token = secrets.token_urlsafe(32)
        return Preview(task.id, task.container_id, port, address, token, listen, runner)

    async def _serve(self, task_id: str, request: web.BaseRequest) -> web.StreamResponse:
        preview = self._open.get(task_id)
        if preview is None:
            return _refuse(404, "this preview has ended; open it again from the board")
        if hostname(request.host) not in self._hosts:
            return _refuse(403, f"host {request.host!r} is not allowed")
        cookie = COOKIE_PREFIX + task_id
        supplied = request.query.get(TOKEN_PARAM)
        if (
            supplied is not None
            and request.method in ("GET", "HEAD")
            and hmac.compare_digest(supplied.encode(), preview.token.encode())
        ):
            # The token leaves the address bar (and any Referer) at once.
            clean = request.rel_url.with_query(_without_token(request))
            answer = web.Response(status=303, headers={"Location": str(clean)})
            answer.set_cookie(
                cookie, preview.token, httponly=True, samesite="Lax", secure=self.secure
            )
            return answer
        held = request.cookies.get(cookie, "")
        if not hmac.compare_digest(held.encode(), preview.token.encode()):
            return _refuse(403, "no valid preview token; open the preview from the board")
        try:
            task: Task | None = await self.life.get(task_id)
        except NotFound:  # deleted meanwhile
            task = None
        if task is None or task.container_id != preview.container_id:
            # Not awaited: closing the site waits for its handlers, this one among them.
            self.jobs.spawn(self.clear(task_id))
            return _refuse(404, "the task's run has ended, and its container with it")
        return await self._forward(preview, request)

    async def _forward(self, preview: Preview, request: web.BaseRequest) -> web.StreamResponse:
        """Stream the request to the container and its answer back, never whole."""
        length = request.content_length
        if length is not None and length > MAX_BODY:
            refused = _refuse(413, f"request body is larger than {MAX_BODY} bytes")
            refused.force_close()  # the body is not worth reading
            return refused
        if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return _refuse(411, "send a request body with its Content-Length")
        target = URL.build(
            scheme="http",
            host=preview.address,
            port=preview.port,
            path=request.rel_url.raw_path,
            query=_without_token(request),
            encoded=False,
        )
        headers = _request_headers(request)
        body = request.content.iter_chunked(_CHUNK) if length else None
        try:
            upstream = await self._session().request(
                request.method,
                target,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=_TIMEOUT,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _refuse(
                502,
                f"nothing answered on port {preview.port} of the task's container "
                f"({exc.__class__.__name__}); is its server running and listening on "
                "all addresses (0.0.0.0), not only localhost?",
            )
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            origin = f"http://{preview.address}:{preview.port}"
            for name, value in upstream.headers.items():
                lower = name.lower()
                if lower in _HOP or (lower == "set-cookie" and _ours(value)):
                    continue
                if lower == "location" and value.startswith(origin):
                    value = value[len(origin) :] or "/"
                response.headers.add(name, value)
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(_CHUNK):
                    await response.write(chunk)
                await response.write_eof()
            except (aiohttp.ClientError, TimeoutError, ConnectionError):
                response.force_close()  # cut short: the browser sees a broken transfer
        return response

    def _session(self) -> aiohttp.ClientSession:
        if self._client is None:
            # Bytes pass through as sent, compressed or not; no cookie jar of ours.
            self._client = aiohttp.ClientSession(
                auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._client


def _refuse(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


def _without_token(request: web.BaseRequest) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query.items() if k != TOKEN_PARAM]


def _ours(cookie: str) -> bool:
    """A cookie named as the board's or a preview's: never the container's to set or see."""
    name = cookie.split("=", 1)[0].strip()
    return name == COOKIE or name.startswith(COOKIE_PREFIX)


def _request_headers(request: web.BaseRequest) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        if name.lower() not in _HOP and name.lower() != "cookie":
            headers.add(name, value)
    kept = [f"{name}={value}" for name, value in request.cookies.items() if not _ours(name)]
    if kept:
        headers["Cookie"] = "; ".join(kept)
    return headers
