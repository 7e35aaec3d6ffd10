"""Who may talk to the server: Host and Origin checks, then a credential.

A local server that runs code on the user's repos is a target for DNS
rebinding (a foreign Host) and CSRF (a foreign Origin), so both are refused
before anything else happens. Every /api call then needs the bearer token, or
the signed session cookie of a browser that signed in (see ``sessions``).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from server.api.common import set_body_limit
from server.errors import Forbidden, Unauthorized
from server.hosts import allowed, hostname
from server.routes import DEFAULT_MAX_BODY, Handler, lookup
from server.sessions import COOKIE, DESKTOP, Sessions

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a browser says of a request that another origin's page made (an <img>, a
# no-cors fetch: they carry no Origin). "none" is the user's own navigation.
_FOREIGN_SITES = frozenset({"cross-site", "same-site"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


# pywebview evaluates strings and injects inline styles; still no inline <script>.
DESKTOP_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def _same_origin(origin: str, host: str) -> bool:
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and parsed.netloc.lower() == host.lower()


def guard(
    bound_host: str,
    extra_hosts: tuple[str, ...],
    token: str,
    sessions: Sessions,
    valid_api_token: Callable[[str], Awaitable[bool]],
) -> Middleware:
    """``valid_api_token`` looks a bearer token up among those made with
    ``wallfacer token create`` (they can be made and revoked while we run)."""
    names = allowed((bound_host, *extra_hosts))
    hint = "send 'Authorization: Bearer <token>', or sign in"

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        if hostname(host) not in names:
            raise Forbidden(f"host {host!r} is not allowed")
        origin = request.headers.get("Origin")
        mutating = request.method not in _SAFE_METHODS
        resource = request.match_info.route.resource
        route = lookup(request.method, resource.canonical) if resource is not None else None
        needs_credential = route.auth if route is not None else request.path.startswith("/api/")
        # Cookies are not port-scoped and SameSite does not tell ports apart, so a
        # page on another port of this host (a task's preview) gets our cookie sent
        # along: such a read is refused here, not left to the browser's CORS.
        crossing = origin is not None and not _same_origin(origin, host)
        if crossing and (mutating or needs_credential):
            raise Forbidden(f"cross-origin request from {origin!r} refused")
        if needs_credential and request.headers.get("Sec-Fetch-Site") in _FOREIGN_SITES:
            raise Forbidden("a request from another site or port is refused")
        if needs_credential:
            scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                supplied = supplied.strip()
                local = hmac.compare_digest(supplied.encode(), token.encode())
                if not local and not await valid_api_token(supplied):
                    raise Unauthorized("wrong or revoked API token")
            elif sessions.valid(request.cookies.get(COOKIE)) is not None:
                # A cookie rides along on any request the browser makes, so a
                # change must also prove it comes from our own page.
                if mutating and origin is None:
                    raise Forbidden("a signed-in browser must send Origin on changes")
            else:
                raise Unauthorized(f"not signed in; {hint}")
        set_body_limit(request, route.max_body if route is not None else DEFAULT_MAX_BODY)
        return await handler(request)

    return middleware


def security_headers(
    sessions: Sessions,
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """Every response, SSE included, carries the same protective headers; the
    desktop window's session gets the looser CSP its web view needs."""

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        headers = dict(SECURITY_HEADERS)
        if sessions.valid(request.cookies.get(COOKIE)) == DESKTOP:
            headers["Content-Security-Policy"] = DESKTOP_CSP
        for name, value in headers.items():
            response.headers.setdefault(name, value)

    return add
