"""What the app knows of one agent CLI, in one object: the registry's entry for it.

Everything that differs between agents is a field or a method here, so the
server, the settings and the board iterate the registry and never branch on an
agent's name. By convention the bundled image's Dockerfile is in
``runner/images/<name>/`` and the user's templates for its home in
``templates/<name>/`` of the data dir.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from runner.agents.events import AgentEvent

Prices = Mapping[str, Mapping[str, float]]  # model -> input / cached_input / output


@dataclass(frozen=True)
class Adapter(ABC):
    name: str  # what a task's "agent" says
    title: str  # what the board calls it
    home: str  # the CLI's config dir inside the sandbox, in the task's home
    # A glob of the CLI's native executable in an ``npm install --prefix DIR``
    # tree: only the installing platform's package is there, so it finds one.
    npm_executable: str
    credentials: tuple[str, ...]  # env names of which the bundled image needs one
    endpoint_env: str  # the env name of its API's base URL (a proxy, a stub)
    api_hosts: tuple[str, ...]  # the model API's hosts, allowed by default
    # How many levels above the executable's folder is the root the image needs
    # whole: files the CLI finds beside itself from its own path.
    npm_root_up: int = 0
    # The file in ``home`` the CLI reads as its user's own instructions, beside the
    # repository's; the app mounts the instructions of its settings there. Files
    # there it would read instead are removed before each run: an agent's own.
    instructions: str = "AGENTS.md"
    instructions_overrides: tuple[str, ...] = ()
    credential_help: str = ""  # where a person gets one of ``credentials``, for onboarding
    secret_env: tuple[str, ...] = ()  # env names holding secrets beyond *KEY*, *TOKEN*, ...
    # USD per million tokens, for a CLI that reports tokens but no cost; the
    # user's table (settings) replaces it. Empty: the CLI reports its cost.
    prices: Prices = field(default_factory=dict)

    @abstractmethod
    def args(
        self, prompt: str, session_id: str | None = None, model: str | None = None
    ) -> list[str]:
        """The CMD for the image, whose ENTRYPOINT is the CLI (the image contract)."""

    def options(self, env: Mapping[str, str]) -> list[str]:
        """Global options before ``args``: none, unless the CLI takes its endpoint only so."""
        return []

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """The container's env from the agent env file, in the names the CLI reads."""
        return dict(env)

    @abstractmethod
    def parser(
        self, model: str | None = None, session_id: str = ""
    ) -> Callable[[str], list[AgentEvent]]:
        """A parser for one run's output; ``session_id`` seeds one joining a run midway.

        Events other than ``Init`` and ``RunResult`` must follow from their line
        alone: the log keeps such lines raw and parses them again when read, with
        a fresh parser."""
