"""After kill -9 and a restart, every task ends in a truthful state."""

from __future__ import annotations

import re
from pathlib import Path

import docker
import pytest

from runner import merge, workspaces
from server.states import Status
from server.store import Store
from tests.engine import containers_of
from tests.gitrepo import file_on_branch, task_refs
from tests.server_process import ServerProcess


@pytest.fixture
def server(child_server: ServerProcess) -> ServerProcess:
    """A child process, unlike the shared fixture: these tests kill it with -9."""
    return child_server


def start_and_see(server: ServerProcess, prompt: str, marker: str) -> str:
    task = server.create(prompt)
    server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{task['id']}/logs", until=lambda evs: any(marker in str(e) for e in evs)
    )
    return str(task["id"])


def restart(old: ServerProcess) -> ServerProcess:
    new = ServerProcess(old.data_dir, old.repos, old.image)
    new.port = old.port
    new.start()
    return new


def test_a_running_container_is_reattached_and_finishes(
    server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    task_id = start_and_see(
        server, "say first\nsleep 3\nwrite after.txt made after restart", "first"
    )
    server.kill()
    assert len(containers_of(docker_client, task_id)) == 1, "the agent outlives the app"

    server = restart(server)
    try:
        server.wait_for(task_id, "waiting", timeout=30)
        log = server.events(task_id)
        assert any(e["type"] == "system" and "reattached" in e["data"]["message"] for e in log)
        lines = [e["data"]["line"] for e in log if e["type"] == "output"]
        assert len(lines) == len(set(lines)), "no output line is stored twice"
        assert sum('"subtype":"init"' in line for line in lines) == 1
        server.act(task_id, "accept")
        server.wait_for(task_id, "done")
        assert file_on_branch(repo, "main", "after.txt") == "made after restart\n"
        assert containers_of(docker_client, task_id) == []
    finally:
        server.stop()


def test_a_run_reattached_mid_output_keeps_every_line_once_and_its_result(
    server: ServerProcess,
) -> None:
    """F6: the reattach follows an agent that prints fast and exits meanwhile."""
    task_id = start_and_see(server, "say first\nsleep 2\nchatty 1 5000", "first")
    server.kill()

    server = restart(server)
    try:
        waiting = server.wait_for(task_id, "waiting", timeout=60)
        lines = [e["data"]["line"] for e in server.events(task_id) if e["type"] == "output"]
        steps = [int(m[1]) for line in lines if (m := re.search(r"step (\d+)\.", line))]
        assert steps == list(range(1, 5001))
        assert '"type":"result"' in lines[-1] and waiting["error"] == ""
    finally:
        server.stop()


def test_a_container_gone_while_down_fails_the_task_with_the_reason(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task_id = start_and_see(server, "say working\nsleep 60", "working")
    server.kill()
    for container_id in containers_of(docker_client, task_id):
        docker_client.containers.get(container_id).remove(force=True)

    server = restart(server)
    try:
        failed = server.wait_for(task_id, "failed")
        assert "disappeared while Wallfacer was not running" in failed["error"]
        assert failed["session_id"], "the session is kept, so it can be resumed"
    finally:
        server.stop()


def _run_to_review_then_stop(server: ServerProcess, prompt: str) -> dict:  # type: ignore[type-arg]
    task = server.create(prompt)
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting")
    server.kill()
    return waiting


def test_an_accept_interrupted_before_landing_goes_back_to_review(
    server: ServerProcess, repo: Path
) -> None:
    task = _run_to_review_then_stop(server, "write x.txt x")
    store = Store(server.data_dir / "wallfacer.db")
    store.transition(task["id"], Status.WAITING, Status.COMMITTING, "accepted")
    store.close()

    server = restart(server)
    try:
        back = server.wait_for(task["id"], "waiting")
        assert "interrupted before it landed" in back["error"]
        assert file_on_branch(repo, "main", "x.txt") is None
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done")
        assert file_on_branch(repo, "main", "x.txt") == "x\n"
    finally:
        server.stop()


def test_an_accept_that_landed_just_before_the_crash_is_done(
    server: ServerProcess, repo: Path
) -> None:
    task = _run_to_review_then_stop(server, "write y.txt y")
    store = Store(server.data_dir / "wallfacer.db")
    stored = store.get_task(task["id"])
    assert stored is not None
    store.transition(task["id"], Status.WAITING, Status.COMMITTING, "accepted")

    def remember(m: merge.Merged) -> None:
        store.update_task(task["id"], merged_base=m.base, merged_head=m.head)

    # The crashed process had got this far: the merge landed, the store not yet told.
    ws = workspaces.existing(
        Path(stored.worktree), repo / ".git", stored.branch, stored.base_commit
    )
    merged = merge.accept(repo, ws, stored.base_branch, "y", remember)
    store.close()

    server = restart(server)
    try:
        done = server.wait_for(task["id"], "done")
        assert done["error"] == ""
        assert file_on_branch(repo, "main", "y.txt") == "y\n"
        assert task_refs(repo) == []
        assert server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["y.txt"]
        assert merged.files == ["y.txt"]
    finally:
        server.stop()
