"""The board page, its static files, and the one-time sign-in exchange."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.api.common import SESSIONS, ok
from server.errors import NotFound
from server.sessions import COOKIE, SESSION_S

STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


async def index(request: web.Request) -> web.StreamResponse:
    """The board; ``?token=CODE`` signs the browser in and drops the code from the URL."""
    code = request.query.get("token")
    if code is not None:
        response = web.HTTPSeeOther("/")
        if request.app[SESSIONS].redeem(code):
            response.set_cookie(
                COOKIE,
                request.app[SESSIONS].cookie(),
                max_age=SESSION_S,
                httponly=True,
                samesite="Strict",
                secure=request.secure,
                path="/",
            )
        raise response
    return _file(STATIC / "index.html")


async def static(request: web.Request) -> web.StreamResponse:
    """Files under server/static only: anything resolving outside it is a 404."""
    wanted = (STATIC / request.match_info["path"]).resolve()
    if not wanted.is_relative_to(STATIC) or not wanted.is_file():
        raise NotFound("no such file")
    return _file(wanted)


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
