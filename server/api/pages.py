"""The board page, its static files, and signing browsers in (one-time code or password)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from server.api.common import LIMITER, SESSIONS, client, ok, read_json, services, string
from server.credentials import check_password
from server.errors import Conflict, NotFound, TooManyRequests, Unauthorized
from server.sessions import BROWSER, COOKIE, SESSION_S

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


async def index(request: web.Request) -> web.StreamResponse:
    """The board; ``?token=CODE`` signs the browser in and drops the code from the URL.

    A used or expired code leads a browser that is not signed in to the page
    that says how to get a new one, instead of a board that cannot load.
    """
    code = request.query.get("token")
    if code is not None:
        sessions = request.app[SESSIONS]
        kind = sessions.redeem(code)
        if kind is None and sessions.valid(request.cookies.get(COOKIE)) is None:
            raise web.HTTPSeeOther("/login?link=used")
        response = web.HTTPSeeOther("/")
        if kind is not None:
            _sign_in(request, response, kind)
        raise response
    return _file(STATIC / "index.html")


def _sign_in(request: web.Request, response: web.StreamResponse, kind: str = BROWSER) -> None:
    response.set_cookie(
        COOKIE,
        request.app[SESSIONS].cookie(kind=kind),
        max_age=SESSION_S,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )


async def login_page(request: web.Request) -> web.StreamResponse:
    return _file(STATIC / "login.html")


async def signin_options(request: web.Request) -> web.Response:
    """Whether the sign-in page may offer the password (a failed sign-in tells as much)."""
    stored = await services(request).tasks.io(services(request).store.password_hash)
    return ok({"password": stored is not None})


async def login(request: web.Request) -> web.Response:
    """Password sign-in for browsers, slowed down after repeated failures."""
    who = client(request)
    limiter = request.app[LIMITER]
    password = string(await read_json(request), "password", required=True)
    assert password is not None
    wait = limiter.wait_s(who)
    if wait > 0:
        raise TooManyRequests(f"too many failed sign-ins; try again in {wait:.0f} s")
    # Counted as a failure before the (slow) check, so a burst of parallel
    # guesses is stopped after the first few instead of all being tried.
    limiter.failed(who)
    tasks = services(request).tasks
    stored = await tasks.io(services(request).store.password_hash)
    if stored is None:
        raise Conflict("no password is set; run `wallfacer passwd` on the server")
    if not await tasks.io(check_password, password, stored):
        log.warning("failed sign-in from %s", who)
        raise Unauthorized("wrong password", field="password")
    limiter.succeeded(who)
    response = ok({"signed_in": True})
    _sign_in(request, response)
    return response


async def logout(request: web.Request) -> web.Response:
    response = ok({"signed_in": False})
    response.del_cookie(COOKIE, path="/")
    return response


# The board's files, listed once: a request names one of them or gets a 404, so
# no path a client sends ever reaches the file system.
_STATIC_FILES = {p.relative_to(STATIC).as_posix(): p for p in STATIC.rglob("*") if p.is_file()}


async def static(request: web.Request) -> web.StreamResponse:
    path = _STATIC_FILES.get(request.match_info["path"])
    if path is None:
        raise NotFound("no such file")
    return _file(path)


def _file(path: Path) -> web.StreamResponse:
    return web.FileResponse(
        path,
        headers={
            "Content-Type": _TYPES.get(path.suffix, "application/octet-stream"),
            "Cache-Control": "no-cache",
        },
    )


async def login_code(request: web.Request) -> web.Response:
    """A one-time sign-in link for a browser, for whoever holds the API token."""
    code = request.app[SESSIONS].issue_code()
    return ok({"url": f"{request.scheme}://{request.host}/?token={code}"}, status=201)
