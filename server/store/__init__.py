"""SQLite persistence: the ``Store`` the server calls, one SQLite file behind one lock.

It is made of one part per concern; only this package speaks SQL: ``db`` (the
connection, its lock and the numbered migrations in ``migrations/``), and the
parts joined here: ``tasks``, their ``log``, ``usage``, ``board``, ``repos``,
``credentials`` and prompt ``templates``.
"""

from __future__ import annotations

from server.store.board import BOARD_EVENTS_KEPT, BoardLog
from server.store.credentials import CredentialRows
from server.store.db import make_private, now
from server.store.log import Output, Page, TaskLog
from server.store.repos import RepoRows
from server.store.tasks import Order, TaskRows
from server.store.templates import TemplateRows
from server.store.usage import Spending, UsageRows

__all__ = [
    "BOARD_EVENTS_KEPT",
    "Order",
    "Output",
    "Page",
    "Spending",
    "Store",
    "make_private",
    "now",
]


class Store(TaskRows, TaskLog, UsageRows, BoardLog, RepoRows, CredentialRows, TemplateRows):
    """Everything the server keeps: the parts share one connection, so one
    transaction can span them (a task's move, its log entry and its board event)."""
