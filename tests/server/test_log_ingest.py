"""A run's output as the log reads it back: each line with the events the run parsed
from it, though most lines are stored once, as printed, on real SQLite."""

from __future__ import annotations

import json
import uuid

import pytest

from runner.agents import adapter
from runner.agents.events import to_dict
from server.model import Task
from server.output import Recorder, RunState
from server.redact import Redactor
from server.states import Status
from server.store import Store

SECRET = "sk-ant-api03-abcdefghij0123456789"
CLAUDE = [
    {"type": "system", "subtype": "init", "session_id": "s1", "model": "opus"},
    {
        "type": "assistant",
        "session_id": "s1",
        "message": {
            "id": "msg_1",
            "content": [
                {"type": "text", "text": "Reading é and ✓"},
                {"type": "tool_use", "id": "t1", "name": "Read", "input": {"path": "a.py"}},
            ],
            "usage": {"input_tokens": 7, "output_tokens": 3},
        },
    },
    {
        "type": "user",
        "message": {"content": [{"type": "tool_result", "tool_use_id": "t1", "content": "x = 1"}]},
    },
    {"type": "system", "subtype": "api_retry", "attempt": 1, "max_retries": 3},
    {"type": "result", "session_id": "s1", "result": "done", "total_cost_usd": 0.25},
]
CODEX = [
    {"type": "thread.started", "thread_id": "th1"},
    {"type": "item.started", "item": {"id": "i0", "type": "command_execution", "command": "ls"}},
    {
        "type": "item.completed",
        "item": {"id": "i0", "type": "command_execution", "aggregated_output": "a\n"},
    },
    {"type": "item.completed", "item": {"id": "i1", "type": "agent_message", "text": "Listed"}},
    {"type": "turn.completed", "usage": {"input_tokens": 20, "output_tokens": 5}},
]


def new_task(store: Store, agent: str) -> str:
    task = Task(str(uuid.uuid4()), "p", Status.IN_PROGRESS, "/r", agent=agent)
    return store.create_task(task).id


@pytest.mark.parametrize("agent, lines", [("claude", CLAUDE), ("codex", CODEX)])
def test_each_line_reads_back_with_the_events_its_run_parsed(
    store: Store,
    agent: str,
    lines: list[dict],  # type: ignore[type-arg]
) -> None:
    """Codex's parser is stateful (the thread, the last text, the model's prices):
    what a fresh parser could not say again is stored as it was parsed."""
    task_id = new_task(store, agent)
    printed = [json.dumps(line, ensure_ascii=False) for line in lines] + ["not json"]
    recorder = Recorder(store, task_id, adapter(agent, {}).parser(), RunState())
    recorder.record(printed, Redactor({}), 2**40)
    parse = adapter(agent, {}).parser()
    expected = [
        {"line": line, "truncated": False, "events": [to_dict(e) for e in parse(line)]}
        for line in printed
    ]
    expected = json.loads(json.dumps(expected))  # as the API sends them
    page = store.events(task_id)
    assert [e.data for e in page.events] == expected and not page.more
    assert store.last_event(task_id, "output").data == expected[-1]  # type: ignore[union-attr]


def test_the_agent_bytes_are_stored_once_so_a_cap_holds_as_much_of_its_output(
    store: Store,
) -> None:
    """Storing each line's events beside it took twice the line's bytes of the cap."""
    task_id = new_task(store, "claude")
    result = json.dumps(CLAUDE[2]).replace("x = 1", "y" * 10_000)
    printed = [result] * 100
    cap = int(1.1 * sum(map(len, printed)))
    Recorder(store, task_id, adapter("claude", {}).parser(), RunState()).record(
        printed, Redactor({}), cap
    )
    page = store.events(task_id, limit=1000, max_bytes=2**40)
    assert [e.type for e in page.events] == ["output"] * 100, "none dropped"
    assert page.events[0].data["events"][0]["content"] == "y" * 10_000


def test_a_line_with_a_secret_reads_back_redacted_in_its_line_and_events(store: Store) -> None:
    task_id = new_task(store, "claude")
    said = {"type": "assistant", "message": {"content": [{"type": "text", "text": f"{SECRET}!"}]}}
    Recorder(store, task_id, adapter("claude", {}).parser(), RunState()).record(
        [json.dumps(said)], Redactor({"API_KEY": SECRET}), 2**40
    )
    (entry,) = [e.data for e in store.events(task_id).events]
    assert SECRET not in json.dumps(entry)
    assert entry["events"] == [{"text": "[redacted]!", "kind": "text"}]
