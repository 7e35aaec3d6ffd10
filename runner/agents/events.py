"""Neutral agent events: what any CLI's output means, independent of its format."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class Init:
    session_id: str
    model: str = ""
    kind: str = "init"


@dataclass(frozen=True)
class AssistantText:
    text: str
    kind: str = "text"


@dataclass(frozen=True)
class ToolCall:
    tool_id: str
    name: str
    summary: str
    input: dict[str, Any] = field(default_factory=dict)
    kind: str = "tool_call"


@dataclass(frozen=True)
class ToolResult:
    tool_id: str
    content: str
    is_error: bool = False
    kind: str = "tool_result"


@dataclass(frozen=True)
class RunResult:
    """The run's final line: its usage and cost are totals for the whole run."""

    session_id: str
    is_error: bool
    text: str
    usage: Usage
    subtype: str = ""
    kind: str = "result"


AgentEvent = Init | AssistantText | ToolCall | ToolResult | RunResult


def to_dict(event: AgentEvent) -> dict[str, Any]:
    return asdict(event)


def json_object(line: str) -> dict[str, Any] | None:
    """A line of agent output as a JSON object, or None for anything else."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


# Agent output is untrusted JSON: read fields with a type, or get an empty value.
def as_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
