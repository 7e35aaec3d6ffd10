"""Task states and the one table of transitions between them.

The table is keyed by (state, action): an action is legal only from the states
it lists, and leads to exactly one state. Every status change in the program
is looked up here; no other place decides which moves are legal.
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
    (S.FAILED, A.RETRY): S.BACKLOG,
    (S.FAILED, A.RESUME): S.IN_PROGRESS,
    (S.FAILED, A.CANCEL): S.CANCELLED,
    (S.CANCELLED, A.RETRY): S.BACKLOG,
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


def user_actions(current: Status) -> list[str]:
    """What a person can do next, so clients show only valid buttons."""
    return [str(act) for (frm, act) in TRANSITIONS if frm == current and act in USER_ACTIONS]
