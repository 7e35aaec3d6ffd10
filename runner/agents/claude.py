"""Claude Code: its registry entry, command line and ``--output-format stream-json`` parser.

The parser is deliberately forgiving: the stream comes from a process that may
print junk, be killed mid-line, or emit huge tool results. Anything it cannot
understand yields no events rather than an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.agents.adapter import Adapter
from runner.agents.events import (
    MAX_TOOL_RESULT_CHARS,
    AgentEvent,
    AssistantText,
    Init,
    MessageUsage,
    Notice,
    RunResult,
    ToolCall,
    ToolResult,
    Usage,
    as_dict,
    as_int,
    as_str,
    json_object,
)

_SUMMARY_KEYS = ("command", "file_path", "path", "pattern", "url", "description", "query")


class ClaudeAdapter(Adapter):
    def args(
        self, prompt: str, session_id: str | None = None, model: str | None = None
    ) -> list[str]:
        argv = ["-p", prompt, "--output-format", "stream-json", "--verbose"]
        if session_id:
            argv += ["--resume", session_id]
        if model:
            argv += ["--model", model]
        return argv

    def parser(
        self, model: str | None = None, session_id: str = ""
    ) -> Callable[[str], list[AgentEvent]]:
        """The stream needs no state between lines: one parser serves every run."""
        return self.parse

    def parse(self, line: str) -> list[AgentEvent]:
        obj = json_object(line)
        if obj is None:
            return []
        kind = obj.get("type")
        if kind == "system" and obj.get("subtype") == "init":
            return [Init(session_id=as_str(obj.get("session_id")), model=as_str(obj.get("model")))]
        if kind == "assistant":
            return [*_assistant_blocks(obj), *_message_usage(obj)]
        if kind == "user":
            return list(_tool_results(obj))
        if kind == "result":
            return [_result(obj)]
        if kind == "system" and obj.get("subtype") == "api_retry":
            return [Notice(_retry_note(obj))]
        return [Notice(" ".join(as_str(obj.get(k)) for k in ("type", "subtype")).strip())]


def _content(obj: dict[str, Any]) -> list[dict[str, Any]]:
    message = obj.get("message")
    if not isinstance(message, dict):
        return []
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        return []
    return [block for block in content if isinstance(block, dict)]


def _assistant_blocks(obj: dict[str, Any]) -> list[AgentEvent]:
    out: list[AgentEvent] = []
    for block in _content(obj):
        if block.get("type") == "text" and as_str(block.get("text")):
            out.append(AssistantText(text=block["text"]))
        elif block.get("type") == "tool_use":
            raw_input = block.get("input")
            tool_input = raw_input if isinstance(raw_input, dict) else {}
            out.append(
                ToolCall(
                    tool_id=as_str(block.get("id")),
                    name=as_str(block.get("name")) or "tool",
                    summary=summarize_tool_input(tool_input),
                    input=tool_input,
                )
            )
    return out


def _message_usage(obj: dict[str, Any]) -> list[AgentEvent]:
    """Each reply's usage (repeated on every line of a reply, so keyed by its id)."""
    message = as_dict(obj.get("message"))
    usage = as_dict(message.get("usage"))
    if not usage:
        return []
    return [MessageUsage(as_str(message.get("id")), _usage(usage, 0.0))]


def _retry_note(obj: dict[str, Any]) -> str:
    """One line for the CLI's retry report, e.g. "API retry 3/10: connection refused"."""
    attempt, most = as_int(obj.get("attempt")), as_int(obj.get("max_retries"))
    error = obj.get("error")
    reason = as_str(as_dict(error).get("message")) or as_str(error) or as_str(obj.get("message"))
    if not reason and obj.get("error_status"):
        reason = f"HTTP {obj.get('error_status')}"
    counted = f" {attempt}/{most}" if attempt and most else f" {attempt}" if attempt else ""
    return f"API retry{counted}" + (f": {reason[:200]}" if reason else "")


def _tool_results(obj: dict[str, Any]) -> list[AgentEvent]:
    out: list[AgentEvent] = []
    for block in _content(obj):
        if block.get("type") != "tool_result":
            continue
        out.append(
            ToolResult(
                tool_id=as_str(block.get("tool_use_id")),
                content=_flatten(block.get("content"))[:MAX_TOOL_RESULT_CHARS],
                is_error=bool(block.get("is_error")),
            )
        )
    return out


def _flatten(content: object) -> str:
    """Tool result content is either a string or a list of text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(as_str(part.get("text")) for part in content if isinstance(part, dict))
    return ""


def _result(obj: dict[str, Any]) -> RunResult:
    """``usage`` covers this run only; ``total_cost_usd`` the whole resumed session."""
    cost = obj.get("total_cost_usd", obj.get("cost_usd", 0.0))
    return RunResult(
        session_id=as_str(obj.get("session_id")),
        is_error=bool(obj.get("is_error")),
        text=as_str(obj.get("result")),
        subtype=as_str(obj.get("subtype")),
        usage=_usage(as_dict(obj.get("usage")), cost),
        cumulative=("cost_usd",),
    )


def _usage(usage: dict[str, Any], cost: object) -> Usage:
    money = isinstance(cost, int | float) and not isinstance(cost, bool)
    return Usage(
        input_tokens=as_int(usage.get("input_tokens")),
        output_tokens=as_int(usage.get("output_tokens")),
        cache_read_input_tokens=as_int(usage.get("cache_read_input_tokens")),
        cache_creation_input_tokens=as_int(usage.get("cache_creation_input_tokens")),
        cost_usd=float(cost) if money else 0.0,  # type: ignore[arg-type]
    )


def summarize_tool_input(tool_input: dict[str, Any]) -> str:
    """One line that tells a person what the tool call is about."""
    for key in _SUMMARY_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value.splitlines()[0][:200]
    return ""


AGENT = ClaudeAdapter(
    name="claude",
    title="Claude Code",
    home="/home/agent/.claude",  # session files, in the task's home: --resume works
    instructions="CLAUDE.md",
    npm_executable="node_modules/@anthropic-ai/claude-code-linux-*/claude",
    credentials=("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"),
    credential_help="ANTHROPIC_API_KEY: an API key from the Anthropic Console; or "
    "CLAUDE_CODE_OAUTH_TOKEN: a token for a Claude subscription, printed by "
    "`claude setup-token`",
    endpoint_env="ANTHROPIC_BASE_URL",  # read by the CLI itself from the env
    api_hosts=("api.anthropic.com",),
    secret_env=("ANTHROPIC_CUSTOM_HEADERS",),
)
