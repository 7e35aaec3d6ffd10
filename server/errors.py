"""Errors the server raises on purpose, each with the HTTP status it means.

Handlers raise these; one middleware (``api.errors``) turns them into
``{"error": ..., "field": ...}`` responses, so no handler builds an error
response itself. ``field`` names the request field at fault, so a client can
show the message next to it instead of guessing from the text.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500

    def __init__(self, message: str, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class InvalidTransition(ApiError):
    status = 409


class Conflict(ApiError):
    status = 409


class TooLarge(ApiError):
    status = 413


class Unprocessable(ApiError):
    status = 422


class TooManyRequests(ApiError):
    status = 429


class Unavailable(ApiError):
    status = 503


class InsufficientStorage(ApiError):
    """The data dir's disk is full: the write was refused whole, nothing half done."""

    status = 507

    def __init__(self, folder: object) -> None:
        super().__init__(f"the disk of {folder} is full; free some space there, then try again")


class BadGateway(ApiError):
    """A remote the server talks to for the user (a git remote) failed."""

    status = 502
