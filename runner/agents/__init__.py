"""Agent adapters: one per CLI, each building its command line and parsing its output.

An adapter turns raw output lines into the neutral events of ``events`` so that
the server never needs to know which CLI produced them.
"""

from runner.agents.claude import ClaudeAdapter
from runner.agents.events import (
    AgentEvent,
    AssistantText,
    Init,
    RunResult,
    ToolCall,
    ToolResult,
    Usage,
)

__all__ = [
    "AgentEvent",
    "AssistantText",
    "ClaudeAdapter",
    "Init",
    "RunResult",
    "ToolCall",
    "ToolResult",
    "Usage",
]
