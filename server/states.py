"""Task states, the one table of transitions between them, and every other rule
written in terms of states: the board's columns, the groups the tray and the
header count, and which edits each state allows.

The table is keyed by (state, action): an action is legal only from the states
it lists, and leads to exactly one state. Every status change in the program
is looked up here, and clients read these rules from ``/api/states`` and each
task's ``actions``: no other place decides what is legal or where a task shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.errors import InvalidTransition


class Status(StrEnum):
    BACKLOG = "backlog"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    COMMITTING = "committing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    START = "start"  # user: run the prompt
    FINISH = "finish"  # the run ended normally: awaiting review
    FAIL = "fail"  # the run or the merge went wrong
    CANCEL = "cancel"  # user
    FEEDBACK = "feedback"  # user: answer, resuming the session
    ACCEPT = "accept"  # user: commit, rebase, fast-forward
    LAND = "land"  # the merge is on the default branch
    REOPEN = "reopen"  # the merge could not land (conflict, dirty checkout)
    RETRY = "retry"  # user: back to the backlog
    RESUME = "resume"  # user: continue a failed run's session
    RESOLVE = "resolve"  # the merge conflicted: the agent is resumed to resolve it
    RESOLVED = "resolved"  # that run ended cleanly: commit, rebase, fast-forward again
    SUPERSEDE = "supersede"  # another attempt at the same prompt landed


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.BACKLOG, A.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.FINISH): S.WAITING,
    (S.IN_PROGRESS, A.FAIL): S.FAILED,
    (S.IN_PROGRESS, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.FEEDBACK): S.IN_PROGRESS,
    (S.WAITING, A.ACCEPT): S.COMMITTING,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.COMMITTING, A.LAND): S.DONE,
    (S.COMMITTING, A.FAIL): S.FAILED,
    (S.COMMITTING, A.REOPEN): S.WAITING,
    (S.COMMITTING, A.RESOLVE): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.RESOLVED): S.COMMITTING,
    (S.FAILED, A.RETRY): S.BACKLOG,
    (S.FAILED, A.RESUME): S.IN_PROGRESS,
    (S.FAILED, A.CANCEL): S.CANCELLED,
    (S.CANCELLED, A.RETRY): S.BACKLOG,
    (S.BACKLOG, A.SUPERSEDE): S.CANCELLED,
    (S.IN_PROGRESS, A.SUPERSEDE): S.CANCELLED,
    (S.WAITING, A.SUPERSEDE): S.CANCELLED,
    (S.FAILED, A.SUPERSEDE): S.CANCELLED,
}
del S, A


def target(current: Status, action: Action) -> Status:
    """Where ``action`` takes a task that is ``current``; 409 if it cannot."""
    to = TRANSITIONS.get((current, action))
    if to is not None:
        return to
    edges = [(frm, to) for (frm, act), to in TRANSITIONS.items() if act == action]
    usual = " or ".join(f"{frm} to {to}" for frm, to in edges)
    raise InvalidTransition(
        f"cannot {action} a task that is {current}: {action} moves a task from {usual}"
    )


# The actions a person can take through the API; the rest happen to a task.
USER_ACTIONS = frozenset(
    {Action.START, Action.CANCEL, Action.FEEDBACK, Action.ACCEPT, Action.RETRY, Action.RESUME}
)


class Change(StrEnum):
    """What a person can do to a task without moving its status."""

    EDIT = "edit"  # prompt, title, backlog position
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    DELETE = "delete"
    SYNC = "sync"  # move the change onto the default branch's head; nothing lands
    VERIFY = "verify"  # a verifier session judges the change (server.verify)


S = Status
# Something is working on these: they count as running, and cannot be deleted
# until cancelled. An accept's conflict rounds go between the two; a move out
# of them ends the rounds (``lifecycle``).
RUNNING = frozenset({S.IN_PROGRESS, S.COMMITTING})
# The agent stopped and a person has to act: the tray's alert, the card's mark.
NEEDS_YOU = frozenset({S.WAITING, S.FAILED})
# No run is ahead unless a person starts one: their time on the board has ended.
FINISHED = frozenset({S.DONE, S.FAILED, S.CANCELLED})
# Finished for good: may be hidden from the board; the store keeps them.
ARCHIVABLE = frozenset({S.DONE, S.CANCELLED})
# The agent's log streams live only while it runs.
LIVE_LOG = frozenset({S.IN_PROGRESS})
# The agent has stopped, its change unlanded: it can be moved onto the default
# branch's head, and its card says how far behind that head it is.
SYNCABLE = NEEDS_YOU
# The agent has stopped and left a workspace: a verifier may judge its change.
VERIFIABLE = NEEDS_YOU
# A dependency is met once its task is here; one that failed or was cancelled
# keeps its dependants waiting (their cards say by what).
MET = frozenset({S.DONE})
# In the backlog a task is still a draft: only there may these fields change.
EDITABLE = frozenset({S.BACKLOG})
BACKLOG_ONLY = frozenset({"prompt", "title", "position", "depends_on", "scheduled_at"})
# Its change has neither landed nor been given up: more attempts at its prompt may
# start beside it, and once one of them lands, it is superseded.
ATTEMPTABLE = frozenset({S.BACKLOG, S.IN_PROGRESS, S.WAITING, S.FAILED})
# Read by people; the values above are for programs.
LABELS = {
    S.BACKLOG: "backlog",
    S.IN_PROGRESS: "running",
    S.WAITING: "waiting",
    S.COMMITTING: "committing",
    S.DONE: "done",
    S.FAILED: "failed",
    S.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class Column:
    """One board column: the statuses it shows and how its cards are ordered
    (a ``/api/tasks?order=`` value: the person's own order, or newest first)."""

    name: str
    label: str
    statuses: frozenset[Status]
    order: str = "recent"


# A failed task needs a person as much as a waiting one: it shows beside them,
# not buried among the finished.
COLUMNS = (
    Column("backlog", "Backlog", EDITABLE, order="position"),
    Column("in_progress", "In Progress", RUNNING),
    Column("waiting", "Needs you", NEEDS_YOU),
    Column("done", "Done", FINISHED - NEEDS_YOU),
)
del S


def user_actions(current: Status, archived: bool = False) -> list[str]:
    """Everything a person can do to the task now, so clients show only valid buttons."""
    moves = [str(act) for (frm, act) in TRANSITIONS if frm == current and act in USER_ACTIONS]
    changes = []
    if current in EDITABLE:
        changes.append(Change.EDIT)
    if current in ARCHIVABLE:
        changes.append(Change.UNARCHIVE if archived else Change.ARCHIVE)
    if current in SYNCABLE:
        changes.append(Change.SYNC)
    if current in VERIFIABLE:
        changes.append(Change.VERIFY)
    if current not in RUNNING:
        changes.append(Change.DELETE)
    return moves + [str(change) for change in changes]


def describe() -> dict[str, Any]:
    """The rules above as data, for clients that must not keep copies of them."""

    def names(statuses: frozenset[Status]) -> list[str]:
        return [str(s) for s in Status if s in statuses]  # in the enum's order

    return {
        "statuses": [str(s) for s in Status],
        "labels": {str(s): label for s, label in LABELS.items()},
        "columns": [
            {"name": c.name, "label": c.label, "statuses": names(c.statuses), "order": c.order}
            for c in COLUMNS
        ],
        "groups": {
            "running": names(RUNNING),
            "needs_you": names(NEEDS_YOU),
            "finished": names(FINISHED),
            "archivable": names(ARCHIVABLE),
            "live_log": names(LIVE_LOG),
            "editable": names(EDITABLE),
            "met": names(MET),
            "attemptable": names(ATTEMPTABLE),
            "verifiable": names(VERIFIABLE),
        },
        "backlog_only": sorted(BACKLOG_ONLY),
        "transitions": [
            {"from": str(frm), "action": str(act), "to": str(to), "user": act in USER_ACTIONS}
            for (frm, act), to in TRANSITIONS.items()
        ],
    }
