"""The Docker daemon restarted while a task runs (a private daemon, see tests/dockerd.py):
the task reattaches or ends truthfully, and its log has no line twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dockerd import PrivateDockerd
from tests.engine import build_sandbox
from tests.server_process import ServerProcess


# The agent sleeps through the restart: long enough for the daemon's shutdown
# timeout (2 s) to stop it, or short enough to end soon after a live restore.
def prompt(sleep_s: int) -> str:
    return f"say before the restart\nsleep {sleep_s}\nsay after it\nwrite x.txt x"


@pytest.fixture
def dockerd(request: pytest.FixtureRequest) -> Iterator[PrivateDockerd]:
    daemon = PrivateDockerd()
    try:
        daemon.start(*request.param)
        yield daemon
    finally:
        daemon.remove()


@pytest.fixture
def server(dockerd: PrivateDockerd, tmp_path: Path, repo: Path) -> Iterator[ServerProcess]:
    """The app on the private daemon, with the fake agent built there."""
    image = build_sandbox(dockerd.client())
    proc = ServerProcess(tmp_path / "data", [repo], image, env={"DOCKER_HOST": dockerd.host})
    proc.start()
    yield proc
    proc.stop()


def restart_mid_run(server: ServerProcess, dockerd: PrivateDockerd, sleep_s: int) -> dict[str, Any]:
    """The task's state once it has settled after the daemon restarted under its run;
    no output line is stored twice."""
    task = server.create(prompt(sleep_s))
    server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{task['id']}/logs", until=lambda evs: any("Thinking" in str(e) for e in evs)
    )
    dockerd.stop()
    dockerd.start()
    settled = server.wait_for(task["id"], "waiting", "failed", timeout=120)
    lines = [e["data"]["line"] for e in server.events(task["id"]) if e["type"] == "output"]
    assert len(lines) == len(set(lines)), "no output line is stored twice"
    return settled


@pytest.mark.parametrize("dockerd", [()], indirect=True, ids=["containers-stopped"])
def test_a_run_the_restart_stopped_fails_naming_the_engine(
    server: ServerProcess, dockerd: PrivateDockerd
) -> None:
    """A daemon without live-restore stops its containers when it stops."""
    failed = restart_mid_run(server, dockerd, 60)
    assert failed["status"] == "failed", failed
    assert "container engine" in failed["error"], failed["error"]
    assert server.request("GET", "/health").ok


@pytest.mark.parametrize("dockerd", [("--live-restore",)], indirect=True, ids=["live-restore"])
def test_a_run_that_outlives_the_restart_is_followed_to_its_end(
    server: ServerProcess, dockerd: PrivateDockerd
) -> None:
    """With live-restore the agent runs on through the restart: so must its task."""
    done = restart_mid_run(server, dockerd, 4)
    assert done["status"] == "waiting", done
    assert server.api("GET", f"/api/tasks/{done['id']}/diff")["files"] == ["x.txt"]
