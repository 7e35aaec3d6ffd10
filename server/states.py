"""Task states and the one table of transitions between them.

Every status change in the program is checked against ``TRANSITIONS``; there is
no other place that decides which moves are legal.
"""

from __future__ import annotations

from enum import StrEnum

from server.errors import InvalidTransition


class Status(StrEnum):
    BACKLOG = "backlog"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    COMMITTING = "committing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.BACKLOG: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.FAILED, Status.CANCELLED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.COMMITTING, Status.CANCELLED}),
    Status.COMMITTING: frozenset({Status.DONE, Status.FAILED, Status.WAITING}),
    Status.FAILED: frozenset({Status.BACKLOG, Status.IN_PROGRESS, Status.CANCELLED}),
    Status.CANCELLED: frozenset({Status.BACKLOG}),
    Status.DONE: frozenset(),
}

# Only finished tasks may be archived (hidden from the board, kept in the store).
ARCHIVABLE = frozenset({Status.DONE, Status.CANCELLED})


def check(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"cannot move a task from {current} to {target}")


def can_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]
