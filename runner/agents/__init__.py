"""Agent adapters: one per CLI, each building its command line and parsing its output.

An adapter turns raw output lines into the neutral events of ``events`` so that
the server never needs to know which CLI produced them.
"""

from collections.abc import Callable, Mapping
from typing import Protocol

from runner.agents.claude import ClaudeAdapter
from runner.agents.codex import CodexAdapter, Prices
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

AGENTS = ("claude", "codex")
CREDENTIALS = {"claude": ClaudeAdapter.credentials, "codex": CodexAdapter.credentials}
ENDPOINTS = {"claude": ClaudeAdapter.endpoint_env, "codex": CodexAdapter.endpoint_env}
# Env names the agents read that hold secrets without saying so in their name.
SECRET_ENV = tuple(sorted({*ClaudeAdapter.secret_env, *CodexAdapter.secret_env}))


class Adapter(Protocol):
    name: str
    home: str  # the CLI's config dir inside the sandbox, in the task's home
    secret_env: tuple[str, ...]  # env names holding secrets beyond *KEY*, *TOKEN*, ...
    api_hosts: tuple[str, ...]  # the model API's hosts, allowed by default
    credentials: tuple[str, ...]  # env names of which the bundled image needs one
    endpoint_env: str  # the env name of its API's base URL

    def args(
        self, prompt: str, session_id: str | None = None, model: str | None = None
    ) -> list[str]: ...

    # Global options that go before ``args`` (an endpoint the CLI takes only as one).
    def options(self, env: Mapping[str, str]) -> list[str]: ...

    # The container's env from the agent env file, in the names the CLI reads.
    def environment(self, env: Mapping[str, str]) -> dict[str, str]: ...

    def parser(
        self, model: str | None = None, session_id: str = ""
    ) -> Callable[[str], list[AgentEvent]]: ...


def adapter(agent: str, prices: Prices) -> Adapter:
    if agent == "codex":
        return CodexAdapter(prices)
    return ClaudeAdapter()


__all__ = [
    "AGENTS",
    "CREDENTIALS",
    "ENDPOINTS",
    "SECRET_ENV",
    "Adapter",
    "AgentEvent",
    "AssistantText",
    "ClaudeAdapter",
    "CodexAdapter",
    "Init",
    "MessageUsage",
    "Notice",
    "RunResult",
    "ToolCall",
    "ToolResult",
    "Usage",
]
