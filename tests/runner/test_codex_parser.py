"""The Codex JSONL parser, and the cost it computes from the price table."""

from __future__ import annotations

import json

import pytest

from runner.agents import (
    AssistantText,
    Init,
    Notice,
    RunResult,
    ToolCall,
    ToolResult,
    adapter,
)
from runner.agents.codex import DEFAULT_MODEL

PRICES = {"default": {"input": 1.0, "cached_input": 0.1, "output": 10.0}}
THREAD = "0199a213-81c0-7800-8aa1-bbab2a035a53"


def run(lines: list[dict], model: str | None = None) -> list:  # type: ignore[type-arg]
    parse = adapter("codex", {"codex": PRICES}).parser(model)
    return [event for line in lines for event in parse(json.dumps(line))]


def test_a_turn_becomes_neutral_events_with_a_computed_cost() -> None:
    events = run(
        [
            {"type": "thread.started", "thread_id": THREAD},
            {"type": "turn.started"},
            {
                "type": "item.started",
                "item": {
                    "id": "item_0",
                    "type": "command_execution",
                    "command": "bash -lc ls",
                    "status": "in_progress",
                },
            },
            {
                "type": "item.completed",
                "item": {
                    "id": "item_0",
                    "type": "command_execution",
                    "command": "bash -lc ls",
                    "aggregated_output": "README.md\n",
                    "exit_code": 0,
                    "status": "completed",
                },
            },
            {
                "type": "item.completed",
                "item": {
                    "id": "item_1",
                    "type": "file_change",
                    "changes": [{"path": "hello.txt", "kind": "add"}],
                },
            },
            {
                "type": "item.completed",
                "item": {"id": "item_2", "type": "agent_message", "text": "Added hello.txt"},
            },
            {
                "type": "turn.completed",
                "usage": {"input_tokens": 2000, "cached_input_tokens": 1500, "output_tokens": 300},
            },
        ]
    )
    assert events[0] == Init(session_id=THREAD, model=DEFAULT_MODEL), "the pinned CLI's default"
    assert events[1] == ToolCall("item_0", "command", "bash -lc ls", {"command": "bash -lc ls"})
    assert events[2] == ToolResult("item_0", "README.md\n", False)
    assert isinstance(events[3], ToolCall) and events[3].summary == "add hello.txt"
    assert events[4] == AssistantText("Added hello.txt")
    result = events[5]
    assert isinstance(result, RunResult)
    assert (result.session_id, result.is_error, result.text) == (THREAD, False, "Added hello.txt")
    assert result.usage.cache_read_input_tokens == 1500
    # 500 uncached in at $1/M, 1500 cached at $0.1/M, 300 out at $10/M
    assert result.usage.cost_usd == pytest.approx(0.0005 + 0.00015 + 0.003)


def test_only_a_failed_turn_fails_the_run() -> None:
    (result,) = run([{"type": "turn.failed", "error": {"message": "quota exceeded"}}])
    assert isinstance(result, RunResult) and result.is_error and result.text == "quota exceeded"
    transient = {"type": "error", "message": "Reconnecting... 2/5"}
    warning = {"type": "item.completed", "item": {"id": "i", "type": "error", "message": "slow"}}
    assert run([transient, warning]) == [Notice("Reconnecting... 2/5"), Notice("slow")]
    assert run([{"type": "thread.archived"}]) == [Notice("thread.archived")]


def test_junk_and_unknown_items_are_skipped() -> None:
    parse = adapter("codex", {"codex": PRICES}).parser()
    for junk in (
        "",
        "nope",
        "[]",
        '{"type":"item.completed","item":"x"}',
        '{"type":"item.completed","item":{"type":"reasoning","text":"hm"}}',
        '{"type": "turn.comp',
    ):
        assert parse(junk) == []


def test_command_lines_for_a_new_and_a_resumed_thread() -> None:
    codex = adapter("codex", {"codex": PRICES})
    fresh = codex.args("do it", model="gpt-5-codex")
    assert fresh[:2] == ["exec", "--json"] and fresh[-1] == "do it"
    assert fresh[fresh.index("--model") + 1] == "gpt-5-codex"
    assert codex.args("more", THREAD)[-3:] == ["resume", THREAD, "more"]
