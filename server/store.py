"""SQLite persistence: the ``Store`` the server calls, one SQLite file behind one lock.

It is made of one part per concern; only these modules (``server.db`` and the
``server.store_*`` parts it joins) speak SQL.
"""

from __future__ import annotations

from server.db import make_private, now
from server.store_board import BOARD_EVENTS_KEPT, BoardLog
from server.store_credentials import CredentialRows
from server.store_repos import RepoRows
from server.store_tasks import Order, TaskRows
from server.store_usage import UsageRows

__all__ = ["BOARD_EVENTS_KEPT", "Order", "Store", "make_private", "now"]


class Store(TaskRows, UsageRows, BoardLog, RepoRows, CredentialRows):
    """Everything the server keeps: the parts share one connection, so one
    transaction can span them (a task's move, its log entry and its board event)."""
