"""A budget stops the output at the line that reaches it, with the figure as recorded."""

from __future__ import annotations

import uuid

from runner.agents import AgentEvent, MessageUsage, RunResult, Usage
from server import output
from server.budget import usd
from server.model import Task
from server.redact import Redactor
from server.states import Status
from server.store import Store


def turn(line: str) -> list[AgentEvent]:
    return [RunResult("s1", False, line, Usage(cost_usd=0.0125))]


def recorder(store: Store, budget: float | None) -> tuple[Task, output.Recorder]:
    task = store.create_task(Task(str(uuid.uuid4()), "p", Status.BACKLOG, "/r", budget_usd=budget))
    return task, output.Recorder(store, task.id, turn, output.RunState())


def test_the_line_that_reaches_the_budget_is_the_last_stored(store: Store) -> None:
    task, rec = recorder(store, 0.03)
    rec.record(["one", "two", "three", "four"], Redactor({}), 2**40)  # arrived together
    assert rec.state.over_budget == "budget_exceeded: $0.0375 spent of a $0.03 budget"
    assert [t["cost_usd"] for t in store.turns(task.id)] == [0.0125] * 3
    assert rec.lines == 3
    shown = store.get_task(task.id).to_json()  # type: ignore[union-attr]
    assert shown["usage"]["cost_usd"] == 0.0375


def test_replies_no_result_has_counted_yet_count_too(store: Store) -> None:
    _, rec = recorder(store, 0.05)
    rec.parse = lambda line: [MessageUsage(line, Usage(cost_usd=0.02))]
    rec.record(["m1", "m2"], Redactor({}), 2**40)
    assert rec.state.over_budget == ""
    rec.record(["m3", "m4"], Redactor({}), 2**40)
    assert rec.state.over_budget == "budget_exceeded: $0.06 spent of a $0.05 budget"
    assert rec.lines == 3


def test_no_budget_never_stops_and_an_edit_applies_to_the_run(store: Store) -> None:
    task, rec = recorder(store, None)
    rec.record(["a", "b", "c"], Redactor({}), 2**40)
    assert rec.state.over_budget == "" and rec.lines == 3
    store.update_task(task.id, budget_usd=0.05)
    rec.record(["d", "e"], Redactor({}), 2**40)
    assert rec.state.over_budget == "budget_exceeded: $0.05 spent of a $0.05 budget"
    assert rec.lines == 4


def test_a_budget_raised_while_the_run_goes_lets_it_go_on(store: Store) -> None:
    task, rec = recorder(store, 0.05)
    rec.record(["a", "b"], Redactor({}), 2**40)
    store.update_task(task.id, budget_usd=0.1)
    rec.record(["c", "d", "e", "f"], Redactor({}), 2**40)
    assert rec.state.over_budget == "" and rec.lines == 6


def test_figures_are_written_in_full() -> None:
    assert [usd(x) for x in (0.0375, 0.05, 1, 0.1 + 0.2, 12.3456789)] == [
        "$0.0375",
        "$0.05",
        "$1.00",
        "$0.30",
        "$12.345679",
    ]
