"""Where a run leaves its task, decided from what was seen: pure functions.

Kept apart from ``runs`` (which streams and waits) and ``recovery`` (which
looks after a restart) so that every reason a person may read can be checked
by a table of cases, without an engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner import boot
from runner.containers import Exit
from server.output import RunState
from server.states import Action

REVIEW = "awaiting review"


@dataclass(frozen=True)
class Outcome:
    action: Action  # FINISH (to review) or FAIL
    reason: str  # shown on the card and in the log
    note: str = ""  # a system note for the log besides the reason, if any


def concluded(
    state: RunState, exit_: Exit | None, changed: Sequence[str], memory: str | None
) -> Outcome:
    """A run whose container has ended (or was lost, or timed out).

    ``changed`` is the diff's file list, looked at only for a successful run;
    ``memory`` is the container's limit, named when the agent ran out of it.
    """
    result = state.result
    if state.over_budget:
        return _fail(state.over_budget)
    if state.timed_out:
        minutes = state.timed_out / 60
        return _fail(f"timed out after {minutes:g} minutes; resume to continue")
    if exit_ is None:
        return _fail(state.lost or "the run ended without an exit status")
    if result is not None and not result.is_error and exit_.code == 0:
        return _reviewed(state, changed)
    if result is not None and result.is_error:
        detail = result.text or result.subtype or "no detail"
        return _fail(f"the agent reported an error: {detail}")
    if exit_.code == boot.FAILED and result is None:  # the wrapper said which step, and why
        return _fail(exit_.stderr_tail or "a step before the agent failed")
    if state.interrupted:  # the run would have gone on but for it
        return _fail(f"{state.interrupted}, and the agent stopped with it (exit code {exit_.code})")
    if exit_.oom_killed:
        limit = memory or "the engine's"
        return _fail(f"the agent ran out of memory ({limit} limit)")
    if exit_.code != 0:
        tail = f": {exit_.stderr_tail}" if exit_.stderr_tail else ""
        return _fail(f"the agent exited with code {exit_.code}{tail}")
    return _fail("the agent exited without a result")


def _reviewed(state: RunState, changed: Sequence[str]) -> Outcome:
    """Review is next; the reason says plainly when the run achieved nothing."""
    if state.tool_results and state.tool_errors == state.tool_results:
        why = f"all {state.tool_results} tool calls failed"
    elif not changed:
        why = "the run changed no files"
    else:
        return Outcome(Action.FINISH, REVIEW)
    return Outcome(Action.FINISH, f"{REVIEW}: {why}", note=why)


def _fail(reason: str) -> Outcome:
    return Outcome(Action.FAIL, reason)


def settled(last_output: list[dict[str, Any]]) -> Outcome:
    """A run whose container vanished while the app was down: trust the last stored
    line's events (its result, if it had one)."""
    results = [e for e in last_output if e.get("kind") == "result"]
    if results and not results[-1].get("is_error"):
        return Outcome(Action.FINISH, "the run finished while Wallfacer was not running")
    return _fail("the container disappeared while Wallfacer was not running; resume it")
