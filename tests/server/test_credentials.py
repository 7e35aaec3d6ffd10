"""An agent without credentials cannot start, and the board is told which variable to set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess


@pytest.fixture
def bundled(tmp_path: Path, repo: Path) -> Iterator[ServerProcess]:
    """The app with the bundled images (no --image), so credentials are needed."""
    proc = InProcessServer(tmp_path / "data", [repo], image=None, env={"WALLFACER_IMAGE_BASE": "x"})
    proc.start()
    yield proc
    proc.stop()


def test_a_task_without_credentials_is_refused_with_the_names_to_set(
    bundled: ServerProcess,
) -> None:
    agents = bundled.api("GET", "/api/config")["agents"]
    assert agents["codex"]["credentials"] == ["OPENAI_API_KEY", "CODEX_API_KEY"]
    assert "ANTHROPIC_API_KEY" in agents["claude"]["missing"]
    for agent, names in (("claude", "CLAUDE_CODE_OAUTH_TOKEN"), ("codex", "CODEX_API_KEY")):
        task = bundled.create("say hi", agent=agent)
        refused = bundled.request("POST", f"/api/tasks/{task['id']}/start")
        assert refused.status_code == 422, refused.text
        assert names in refused.json()["error"] and refused.json()["field"] == "env"
        assert bundled.task(task["id"])["status"] == "backlog", "nothing moved"
    bundled.api("PUT", "/api/config", {"env": {"OPENAI_API_KEY": "sk-test-0123456789"}})
    agents = bundled.api("GET", "/api/config")["agents"]
    assert agents["codex"]["missing"] == "" and agents["claude"]["missing"]


def test_an_image_of_the_users_own_needs_no_credentials(bare_server: ServerProcess) -> None:
    assert bare_server.api("GET", "/api/config")["agents"]["claude"]["missing"] == ""
