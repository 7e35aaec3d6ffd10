"""Request parsing and response shaping shared by every handler."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

from aiohttp import web

from server.errors import BadRequest, TooLarge, Unprocessable
from server.ratelimit import LoginLimiter
from server.services import Services
from server.sessions import Sessions
from server.settings import Settings

# Made when the app starts (see server.app); the rest exist from the start.
SERVICES = web.AppKey("services", Services)
SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", Sessions)
LIMITER = web.AppKey("limiter", LoginLimiter)
# The matched route's body limit, set by the auth middleware (a typed key where
# this aiohttp has them, a string on older ones).
_BODY_LIMIT: Any = (
    web.RequestKey("body_limit", int) if hasattr(web, "RequestKey") else "wallfacer.body_limit"
)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def set_body_limit(request: web.Request, limit: int) -> None:
    request[_BODY_LIMIT] = limit


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, or a clear 400/413."""
    limit = int(request[_BODY_LIMIT])
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"request body is larger than {limit} bytes")
    body = bytearray()
    while chunk := await request.content.read(64 * 1024):  # a read may return part
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"request body is larger than {limit} bytes")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    return data


def string(data: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(f'"{name}" is required', field=name)
        return None
    if not isinstance(value, str):
        raise BadRequest(f'"{name}" must be a string', field=name)
    # JSON can spell both, but a NUL cannot be in a process argument or a path,
    # and a lone surrogate cannot be stored: refused here, once for every field.
    if "\0" in value:
        raise Unprocessable(f'"{name}" must not contain a NUL character', field=name)
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise Unprocessable(
            f'"{name}" is not valid Unicode (a lone surrogate)', field=name
        ) from exc
    return value


def client(request: web.Request) -> str:
    """Who sent the request, for per-client limits (sign-in failures, open streams).

    Behind a trusted reverse proxy every peer is the proxy, so its
    X-Forwarded-For is believed instead: the right-most address that is not
    itself a trusted proxy, since entries left of it are whatever the client sent.
    """
    peer = request.remote or "unknown"
    trusted = request.app[SETTINGS].trusted_proxies
    if not trusted or not _is_proxy(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getall("X-Forwarded-For", ()) for h in v.split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _is_proxy(hop, trusted):
            return hop
    return hops[0] if hops else peer  # only proxies: the farthest one is the client


def _is_proxy(address: str, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip: IPv4Address | IPv6Address = ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:  # a dual-stack socket
        ip = ip.ipv4_mapped
    return any(ip in network for network in trusted)


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"query parameter {name} must be an integer", field=name) from exc
    if not low <= value <= high:
        raise BadRequest(f"query parameter {name} must be between {low} and {high}", field=name)
    return value
