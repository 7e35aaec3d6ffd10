"""The one place exceptions become HTTP error responses: always {"error": ...} JSON,
with "field" when one request field is at fault."""

from __future__ import annotations

import errno
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from runner.errors import RunnerError, RuntimeUnavailable, ShipDenied
from server.api.common import SETTINGS
from server.errors import ApiError, InsufficientStorage

log = logging.getLogger(__name__)


def error_response(status: int, message: str, **details: object) -> web.Response:
    return web.json_response({"error": message, **details}, status=status)


async def _disk_full_typed(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A file of the data dir (the settings, the env file) without room: as the store's."""
    try:
        return await handler(request)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise InsufficientStorage(request.app[SETTINGS].data_dir) from exc


@web.middleware
async def errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await _disk_full_typed(request, handler)
    except ApiError as exc:
        named = {"field": exc.field} if exc.field else {}
        response = error_response(exc.status, exc.message, **named, **exc.details)
        if exc.status == 413:  # the rest of the body is not worth reading: hang up
            response.force_close()
        return response
    except ShipDenied as exc:  # a run's token, wrong or used: no more said
        return error_response(403, str(exc))
    except RuntimeUnavailable as exc:
        return error_response(503, str(exc))
    except RunnerError as exc:
        return error_response(409, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, exc.reason)
    except (ConnectionResetError, ConnectionError):
        raise
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal error; the server log has the details")
