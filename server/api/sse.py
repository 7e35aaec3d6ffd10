"""Server-sent events: framing, heartbeats and the resume id."""

from __future__ import annotations

import contextlib

from aiohttp import web

from server.errors import BadRequest

HEARTBEAT_S = 15.0


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    return response


def until_client_leaves() -> contextlib.suppress:
    """A client closing its stream is how streams end, not an error to log."""
    return contextlib.suppress(ConnectionResetError)


async def send(response: web.StreamResponse, event: str, data: str, id_: int | None) -> None:
    head = f"id: {id_}\n" if id_ is not None else ""
    await response.write(f"{head}event: {event}\ndata: {data}\n\n".encode())


async def ping(response: web.StreamResponse) -> None:
    await response.write(b": ping\n\n")


def last_event_id(request: web.Request) -> int | None:
    """Where the client left off: the Last-Event-ID header, or ?last_event_id= for tools."""
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest("Last-Event-ID must be an integer", field="Last-Event-ID") from exc
    if value < 0:
        raise BadRequest("Last-Event-ID must not be negative", field="Last-Event-ID")
    return value
