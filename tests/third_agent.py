"""A copy of the app with a third agent added as a developer would add one.

What ``add_third_agent`` writes is the whole of that change: the agent's module,
its Dockerfile dir, and its entry in the registry (``REGISTRY_EDITS``). The
tests then look for the agent wherever the app lists agents.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.server_process import ROOT

NAME = "echo"
TITLE = "Echo Agent"
CLAUDE_IMAGE = "wallfacer-test-never-used:0"  # the server's --image: Claude's, pinned
MODULE = f'''"""A third agent for the registry tests: it prints each line as the reply."""

from collections.abc import Callable

from runner.agents.adapter import Adapter
from runner.agents.events import AgentEvent, AssistantText


class EchoAdapter(Adapter):
    def args(
        self, prompt: str, session_id: str | None = None, model: str | None = None
    ) -> list[str]:
        return [prompt]

    def parser(
        self, model: str | None = None, session_id: str = ""
    ) -> Callable[[str], list[AgentEvent]]:
        return lambda line: [AssistantText(line)] if line else []


AGENT = EchoAdapter(
    name="{NAME}",
    title="{TITLE}",
    home="/home/agent/.echo",
    npm_executable="node_modules/echo-cli/bin/echo",
    credentials=("ECHO_API_KEY",),
    endpoint_env="ECHO_BASE_URL",
    api_hosts=("api.echo.test",),
    prices={{"default": {{"input": 1.0, "cached_input": 0.1, "output": 2.0}}}},
)
'''
DOCKERFILE = 'FROM busybox\nENTRYPOINT ["echo"]\n'
# The registry's listing, before and after: the only lines of the app that change.
REGISTRY_EDITS = {
    "import claude, codex\n": f"import claude, codex, {NAME}\n",
    "(claude.AGENT, codex.AGENT)}": f"(claude.AGENT, codex.AGENT, {NAME}.AGENT)}}",
}


def add_third_agent(dest: Path) -> Path:
    """Copy the app's source to ``dest`` and add the agent there; return ``dest``."""
    skip = shutil.ignore_patterns("__pycache__")
    for package in ("app", "server", "runner"):
        shutil.copytree(ROOT / package, dest / package, ignore=skip)
    agents = dest / "runner" / "agents"
    (agents / f"{NAME}.py").write_text(MODULE)
    (dest / "runner" / "images" / NAME).mkdir()
    (dest / "runner" / "images" / NAME / "Dockerfile").write_text(DOCKERFILE)
    registry = (agents / "__init__.py").read_text()
    for before, after in REGISTRY_EDITS.items():
        assert registry.count(before) == 1, f"the registry no longer lists agents as {before!r}"
        registry = registry.replace(before, after)
    (agents / "__init__.py").write_text(registry)
    return dest
