"""Where a run leaves its task: every reason a person may read, without an engine."""

from __future__ import annotations

from typing import Any

import pytest

from runner.agents import RunResult, Usage
from runner.containers import Exit
from server.outcomes import Outcome, concluded, settled
from server.output import RunState
from server.states import Action

OK = Exit(0, False, "")
FINISH, FAIL = Action.FINISH, Action.FAIL


def result(is_error: bool = False, text: str = "done", subtype: str = "") -> RunResult:
    return RunResult("s1", is_error, text, Usage(), subtype)


def state(
    result_: RunResult | None = None,
    timed_out: float = 0.0,
    lost: str = "",
    tools: tuple[int, int] = (0, 0),
) -> RunState:
    return RunState(
        result=result_, timed_out=timed_out, lost=lost, tool_results=tools[0], tool_errors=tools[1]
    )


CASES: list[tuple[str, RunState, Exit | None, list[str], str | None, Outcome]] = [
    (
        "a run stopped at its budget fails with the figure, whatever it printed last",
        RunState(result=result(), over_budget="budget_exceeded: $0.06 spent of a $0.05 budget"),
        None,
        [],
        None,
        Outcome(FAIL, "budget_exceeded: $0.06 spent of a $0.05 budget"),
    ),
    (
        "a run the engine's restart stopped fails naming the engine and the exit",
        RunState(interrupted="the container engine restarted during the run"),
        Exit(137, False, ""),
        [],
        None,
        Outcome(
            FAIL,
            "the container engine restarted during the run, and the agent stopped with it"
            " (exit code 137)",
        ),
    ),
    (
        "a run that outlived the engine's restart and ended well goes to review",
        RunState(result=result(), interrupted="the container engine restarted during the run"),
        OK,
        ["a.py"],
        None,
        Outcome(FINISH, "awaiting review"),
    ),
    (
        "a clean run with changes goes to review",
        state(result()),
        OK,
        ["a.py"],
        None,
        Outcome(FINISH, "awaiting review"),
    ),
    (
        "a clean run that changed nothing says so",
        state(result()),
        OK,
        [],
        None,
        Outcome(FINISH, "awaiting review: the run changed no files", "the run changed no files"),
    ),
    (
        "a run whose every tool call failed says so, even with changes",
        state(result(), tools=(3, 3)),
        OK,
        ["a.py"],
        None,
        Outcome(FINISH, "awaiting review: all 3 tool calls failed", "all 3 tool calls failed"),
    ),
    (
        "some failed tool calls are a normal run",
        state(result(), tools=(3, 1)),
        OK,
        ["a.py"],
        None,
        Outcome(FINISH, "awaiting review"),
    ),
    (
        "the timeout wins over everything else",
        state(result(), timed_out=90.0),
        OK,
        ["a.py"],
        None,
        Outcome(FAIL, "timed out after 1.5 minutes; resume to continue"),
    ),
    (
        "a lost container names why",
        state(lost="lost the agent's container: gone"),
        None,
        [],
        None,
        Outcome(FAIL, "lost the agent's container: gone"),
    ),
    (
        "no exit status and no reason",
        state(),
        None,
        [],
        None,
        Outcome(FAIL, "the run ended without an exit status"),
    ),
    (
        "the agent's own error text",
        state(result(True, "rate limited")),
        Exit(1, False, ""),
        [],
        None,
        Outcome(FAIL, "the agent reported an error: rate limited"),
    ),
    (
        "the agent's error subtype when it gave no text",
        state(result(True, "", "error_max_turns")),
        OK,
        [],
        None,
        Outcome(FAIL, "the agent reported an error: error_max_turns"),
    ),
    (
        "an error result with neither",
        state(result(True, "")),
        OK,
        [],
        None,
        Outcome(FAIL, "the agent reported an error: no detail"),
    ),
    (
        "out of memory names the limit",
        state(),
        Exit(137, True, ""),
        [],
        "512m",
        Outcome(FAIL, "the agent ran out of memory (512m limit)"),
    ),
    (
        "out of memory without a limit",
        state(),
        Exit(137, True, ""),
        [],
        None,
        Outcome(FAIL, "the agent ran out of memory (the engine's limit)"),
    ),
    (
        "a non-zero exit shows stderr's tail",
        state(),
        Exit(2, False, "boom"),
        [],
        None,
        Outcome(FAIL, "the agent exited with code 2: boom"),
    ),
    (
        "a non-zero exit after a good result is still a failure",
        state(result()),
        Exit(1, False, ""),
        ["a.py"],
        None,
        Outcome(FAIL, "the agent exited with code 1"),
    ),
    (
        "exit 0 without a result",
        state(),
        OK,
        [],
        None,
        Outcome(FAIL, "the agent exited without a result"),
    ),
]


@pytest.mark.parametrize(
    ("run", "exit_", "changed", "memory", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_run_ends_where_its_evidence_says(
    run: RunState, exit_: Exit | None, changed: list[str], memory: str | None, expected: Outcome
) -> None:
    assert concluded(run, exit_, changed, memory) == expected


SETTLED: list[tuple[str, list[dict[str, Any]], Action]] = [
    ("a stored good result finishes", [{"kind": "result", "is_error": False}], FINISH),
    ("a stored error result fails", [{"kind": "result", "is_error": True}], FAIL),
    ("no result fails", [{"kind": "text", "text": "hi"}], FAIL),
    ("no output at all fails", [], FAIL),
]


@pytest.mark.parametrize(
    ("events", "action"), [c[1:] for c in SETTLED], ids=[c[0] for c in SETTLED]
)
def test_a_run_that_ended_while_down_trusts_its_last_stored_line(
    events: list[dict[str, Any]], action: Action
) -> None:
    outcome = settled(events)
    assert outcome.action == action
    assert "while Wallfacer was not running" in outcome.reason
