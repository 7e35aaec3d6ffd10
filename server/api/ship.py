"""A remote run's files, fetched and sent back by its container (``runner.shipping``).

These routes take no API token and no cookie: the caller is a task's
container, which only ever holds its own run's token. The engine checks it;
whatever is sent is the agent's, so it is spooled to a file of the data dir
(capped) and read back there as untrusted data, off the event loop.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from aiohttp import web

from runner.shipping import MAX_UPLOAD_BYTES
from server.api.common import SETTINGS, services
from server.errors import Conflict, Forbidden, TooLarge


def _token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Forbidden("a run's token is needed")
    return token.strip()


def _spool(folder: Path) -> Path:
    """A new file of the data dir, for this user only (made off the event loop)."""
    folder.mkdir(exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, suffix=".tar")
    Path(name).chmod(0o600)
    os.close(handle)
    return Path(name)


async def fetch(request: web.Request) -> web.StreamResponse:
    token, svc = _token(request), services(request)
    run = request.match_info["run"]
    if await svc.io(svc.engine.ship_check, run, token):
        # A run made ahead is held here until its start, on a thread of its own: a few
        # held runs must never starve the pool that serves API requests.
        await svc.io.stream(f"ship-wait-{run}", lambda: svc.engine.ship_wait(run))
        if request.transport is None or request.transport.is_closing():
            # Its wrapper gave up while held (it asks again): the way stays untaken.
            raise Conflict("the run's request was closed while it waited for its start")
    spool = await svc.io(_spool, request.app[SETTINGS].data_dir / "ship")
    try:
        with open(spool, "wb") as out:
            await svc.io(svc.engine.ship_in, run, token, out)
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        response.content_length = spool.stat().st_size
        await response.prepare(request)
        with open(spool, "rb") as source:
            while block := await svc.io(source.read, 1024 * 1024):
                await response.write(block)
        await response.write_eof()
        return response
    finally:
        spool.unlink(missing_ok=True)


async def send_back(request: web.Request) -> web.Response:
    token, svc = _token(request), services(request)
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise TooLarge(f"a run's files over {MAX_UPLOAD_BYTES} bytes are refused")
    await svc.io(svc.engine.ship_check, request.match_info["run"], token)
    spool = await svc.io(_spool, request.app[SETTINGS].data_dir / "ship")
    try:
        size = 0
        with open(spool, "wb") as out:
            while chunk := await request.content.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise TooLarge(f"a run's files over {MAX_UPLOAD_BYTES} bytes are refused")
                await svc.io(out.write, chunk)
        with open(spool, "rb") as source:
            await svc.io(svc.engine.ship_out, request.match_info["run"], token, source)
    finally:
        spool.unlink(missing_ok=True)
    return web.json_response({"ok": True})
