"""The agent registry: one module per CLI, each defining its ``AGENT`` entry.

An adapter turns raw output lines into the neutral events of ``events`` so that
the server never needs to know which CLI produced them; everything else the
app needs of an agent is a field of its entry (see ``adapter``). Adding an
agent is adding its module (and its Dockerfile dir) and listing it here.

Pure parsing and command lines: imports only ``runner.errors``; used by
``runner.images`` (the CLI's npm layout), ``server`` (runs, settings) and
``app`` (the agent names for flags).
"""

from collections.abc import Mapping
from dataclasses import replace

from runner.agents import claude, codex
from runner.agents.adapter import Adapter, Prices
from runner.agents.events import (
    AgentEvent,
    AssistantText,
    Init,
    MessageUsage,
    Notice,
    RunResult,
    ToolCall,
    ToolResult,
    Usage,
)
from runner.errors import RunnerError

# Listed in the order the board shows them.
REGISTRY: dict[str, Adapter] = {a.name: a for a in (claude.AGENT, codex.AGENT)}
AGENTS = tuple(REGISTRY)
# Env names the agents read that hold secrets without saying so in their name.
SECRET_ENV = tuple(sorted({name for agent in REGISTRY.values() for name in agent.secret_env}))


def adapter(agent: str, prices: Mapping[str, Prices]) -> Adapter:
    """The registry's entry for ``agent``, with the user's price table for it if any."""
    if agent not in REGISTRY:
        raise RunnerError(f"unknown agent {agent!r}; this version knows {', '.join(AGENTS)}")
    entry = REGISTRY[agent]
    return replace(entry, prices=prices[agent]) if agent in prices else entry


__all__ = [
    "AGENTS",
    "REGISTRY",
    "SECRET_ENV",
    "Adapter",
    "AgentEvent",
    "AssistantText",
    "Init",
    "MessageUsage",
    "Notice",
    "Prices",
    "RunResult",
    "ToolCall",
    "ToolResult",
    "Usage",
    "adapter",
]
