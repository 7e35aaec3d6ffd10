"""The Claude Code stream-json parser turns real-format lines into neutral events."""

from __future__ import annotations

import json

from runner.agents import (
    AssistantText,
    Init,
    MessageUsage,
    Notice,
    RunResult,
    ToolCall,
    ToolResult,
    Usage,
)
from runner.agents.claude import AGENT
from runner.agents.events import MAX_TOOL_RESULT_CHARS

parse = AGENT.parse
SESSION = "4b9f2c0e-0000-4000-8000-000000000001"


def line(obj: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(obj)


def test_init_gives_the_session() -> None:
    events = parse(
        line(
            {
                "type": "system",
                "subtype": "init",
                "session_id": SESSION,
                "cwd": "/workspace/repo",
                "model": "claude-x",
                "tools": ["Write"],
            }
        )
    )
    assert events == [Init(session_id=SESSION, model="claude-x")]


def test_an_assistant_message_yields_text_and_tool_calls_in_order() -> None:
    events = parse(
        line(
            {
                "type": "assistant",
                "session_id": SESSION,
                "parent_tool_use_id": None,
                "message": {
                    "id": "msg_1",
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm"},
                        {"type": "text", "text": "I'll add the file."},
                        {
                            "type": "tool_use",
                            "id": "toolu_01",
                            "name": "Write",
                            "input": {"file_path": "/workspace/repo/hello.txt", "content": "hi\n"},
                        },
                    ],
                    "usage": {"input_tokens": 12, "output_tokens": 40},
                },
            }
        )
    )
    assert events[0] == AssistantText("I'll add the file.")
    call = events[1]
    assert isinstance(call, ToolCall)
    assert (call.tool_id, call.name, call.summary) == (
        "toolu_01",
        "Write",
        "/workspace/repo/hello.txt",
    )
    assert events[2:] == [MessageUsage("msg_1", Usage(input_tokens=12, output_tokens=40))]


def test_retries_and_unknown_lines_are_one_line_notices() -> None:
    retry = {"type": "system", "subtype": "api_retry", "attempt": 3, "max_retries": 10}
    assert parse(line({**retry, "error": "connection refused"})) == [
        Notice("API retry 3/10: connection refused")
    ]
    assert parse(line({"type": "system", "subtype": "hook_started"})) == [
        Notice("system hook_started")
    ]


def test_tool_results_are_read_from_strings_and_block_lists() -> None:
    events = parse(
        line(
            {
                "type": "user",
                "message": {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_01",
                            "content": "ok",
                            "is_error": False,
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_02",
                            "is_error": True,
                            "content": [{"type": "text", "text": "no such file"}],
                        },
                    ],
                },
            }
        )
    )
    assert events == [
        ToolResult("toolu_01", "ok", False),
        ToolResult("toolu_02", "no such file", True),
    ]


def test_huge_tool_results_are_capped() -> None:
    events = parse(
        line(
            {
                "type": "user",
                "message": {
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t", "content": "x" * 3_000_000}
                    ]
                },
            }
        )
    )
    assert isinstance(events[0], ToolResult)
    assert len(events[0].content) == MAX_TOOL_RESULT_CHARS


def test_the_result_line_carries_run_totals() -> None:
    (result,) = parse(
        line(
            {
                "type": "result",
                "subtype": "success",
                "is_error": False,
                "num_turns": 3,
                "result": "Done: added hello.txt",
                "session_id": SESSION,
                "total_cost_usd": 0.0123,
                "usage": {
                    "input_tokens": 1024,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 512,
                    "output_tokens": 256,
                },
            }
        )
    )
    assert isinstance(result, RunResult)
    assert (result.session_id, result.is_error, result.text) == (
        SESSION,
        False,
        "Done: added hello.txt",
    )
    assert result.usage.input_tokens == 1024
    assert result.usage.cache_read_input_tokens == 512
    assert result.usage.cost_usd == 0.0123


def test_older_cost_field_and_error_results() -> None:
    (result,) = parse(
        line(
            {
                "type": "result",
                "subtype": "error_max_turns",
                "is_error": True,
                "session_id": SESSION,
                "cost_usd": 0.5,
            }
        )
    )
    assert isinstance(result, RunResult)
    assert result.is_error and result.subtype == "error_max_turns"
    assert result.usage.cost_usd == 0.5


def test_junk_yields_nothing_and_never_raises() -> None:
    for junk in [
        "",
        "not json",
        "[1,2,3]",
        "null",
        '{"type": "assistant", "mess',  # truncated
        '{"type": "assistant", "message": "oops"}',
        '{"type": "unknown_kind"}',
        '{"type": "user", "message": {"content": [1, "x", null]}}',
        '{"type": "result", "usage": "none", "total_cost_usd": "free"}',
        "x" * 2_000_000,
    ]:
        events = parse(junk)
        assert all(not isinstance(e, ToolCall) for e in events)


def test_command_line_follows_the_image_contract() -> None:
    assert AGENT.args("do it") == ["-p", "do it", "--output-format", "stream-json", "--verbose"]
    assert AGENT.args("more", SESSION, "opus")[-4:] == ["--resume", SESSION, "--model", "opus"]
