"""One run's output, line by line: what it means, what it cost, and the log entry.

Runs on the run's stream thread. Usage is counted as each line arrives,
before the stored line is cut to ``MAX_STORED_LINE``; a CLI's session totals
become the run's own share; secrets are redacted before anything is stored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from runner.agents import AgentEvent, Init, MessageUsage, RunResult, ToolResult, Usage
from runner.agents.events import to_dict
from server.redact import Redactor
from server.store import Store

# The log keeps at most this much of one raw output line.
MAX_STORED_LINE = 1024 * 1024


@dataclass
class RunState:
    """What one run has told us so far."""

    result: RunResult | None = None
    timed_out: float = 0.0  # the timeout, in seconds, that ended the run
    lost: str = ""
    replies: dict[str, Usage] = field(default_factory=dict)  # each reply's usage, by its id
    tool_results: int = 0
    tool_errors: int = 0

    def unreported(self) -> Usage | None:
        """What the run's replies used when it ended without a result (killed, timed out)."""
        if self.result is not None or not self.replies:
            return None
        return functools.reduce(Usage.plus, self.replies.values(), Usage())


def record(
    store: Store,
    redactor: Redactor,
    task_id: str,
    events: list[AgentEvent],
    line: str,
    lines: int,
    state: RunState,
) -> None:
    """Store one output line with what it means."""
    session = next(
        (e.session_id for e in events if isinstance(e, Init | RunResult) and e.session_id),
        None,
    )
    for event in events:
        if isinstance(event, MessageUsage):
            state.replies[event.message_id or f"line {lines}"] = event.usage
        elif isinstance(event, ToolResult):
            state.tool_results += 1
            state.tool_errors += event.is_error
    result = next((e for e in events if isinstance(e, RunResult)), None)
    if result is not None and result.cumulative:
        earlier = store.session_usage(task_id, result.session_id)
        own = replace(result, usage=result.usage.less(earlier, result.cumulative))
        events = [own if e is result else e for e in events]
        result = own
    data = redactor.value(
        {
            "line": line[:MAX_STORED_LINE],
            "truncated": len(line) > MAX_STORED_LINE,
            "events": [to_dict(e) for e in events],
        }
    )
    store.append_output(
        task_id,
        data,
        lines,
        session_id=session,
        turn=result.usage if result else None,
        turn_is_error=bool(result and result.is_error),
        result=_result_text(data),
    )
    if result is not None:
        state.result = result


def _result_text(data: dict[str, Any]) -> str | None:
    """The run's final text as stored (redacted), or None on any other line."""
    texts = [e["text"] for e in data["events"] if e.get("kind") == "result"]
    return str(texts[-1]) if texts else None
