"""Who may talk to the server: Host and Origin checks, then the API token.

A local server that runs code on the user's repos is a target for DNS
rebinding (a foreign Host) and CSRF (a foreign Origin), so both are refused
before anything else happens. Every /api call then needs the bearer token.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from server.api.common import set_body_limit
from server.errors import Forbidden, Unauthorized
from server.routes import DEFAULT_MAX_BODY, Handler, lookup

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _hostname(host_header: str) -> str:
    return (urlsplit(f"//{host_header}").hostname or "").lower()


def guard(bound_host: str, token: str) -> Middleware:
    allowed = LOCAL_NAMES | {bound_host.lower().strip("[]")}
    hint = "send 'Authorization: Bearer <token>'; the token is in the data dir's 'token' file"

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        if _hostname(host) not in allowed:
            raise Forbidden(f"host {host!r} is not allowed")
        origin = request.headers.get("Origin")
        if request.method not in _SAFE_METHODS and origin is not None:
            parsed = urlsplit(origin)
            if parsed.scheme not in ("http", "https") or parsed.netloc.lower() != host.lower():
                raise Forbidden(f"cross-origin request from {origin!r} refused")
        info = request.match_info
        resource = info.route.resource
        route = lookup(request.method, resource.canonical) if resource is not None else None
        needs_token = route.auth if route is not None else request.path.startswith("/api/")
        if needs_token:
            scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                supplied.strip().encode(), token.encode()
            ):
                raise Unauthorized(f"missing or wrong API token; {hint}")
        set_body_limit(request, route.max_body if route is not None else DEFAULT_MAX_BODY)
        return await handler(request)

    return middleware
