"""kill -9 of the app during a run, during an accept's commit and during its
fast-forward: after a restart every task is in a truthful state, the user's
repository passes ``git fsck``, and no workspace, task ref or container is left
that no task accounts for.

The points are reached by real work, not hooks: a change of many files makes
the commit and the checkout of the fast-forward take long enough to be caught
in, and the test reads the store (as a second process may) to know which step
the app is at. Whatever step the kill lands in, the outcome must be truthful.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.e2e.test_restart import restart, start_and_see
from tests.gitrepo import file_on_branch
from tests.leftovers import (
    assert_checkout_clean,
    assert_fsck_clean,
    assert_no_orphans,
    stored,
)
from tests.server_process import ServerProcess

FILES = 2_000  # enough for the commit and the checkout to take a second or more
HANG_S = 300  # an accept of FILES on a busy machine can take a minute: only a hang fails


@pytest.fixture
def server(child_server: ServerProcess) -> ServerProcess:
    """A child process: these tests kill it with -9."""
    return child_server


def big_change(server: ServerProcess) -> str:
    """A task waiting for review whose change is FILES new files."""
    task = server.create("write small.txt small")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    workspace = Path(stored(server.data_dir, task["id"])["worktree"])
    for n in range(FILES):
        folder = workspace / "gen" / f"d{n % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.txt").write_text(f"file {n}\n")
    return str(task["id"])


def kill_when(server: ServerProcess, task_id: str, at: Callable[[dict[str, Any]], bool]) -> None:
    """kill -9 the app as soon as the stored task satisfies ``at``."""
    deadline = time.monotonic() + HANG_S
    while not at(stored(server.data_dir, task_id)):
        assert time.monotonic() < deadline, stored(server.data_dir, task_id)
        time.sleep(0.002)  # the step looked for takes a second or more: leave the app the CPU
    server.kill()


def settled(server: ServerProcess, task_id: str) -> dict[str, Any]:
    return server.wait_for(task_id, "waiting", "done", "failed", timeout=HANG_S)


def assert_whole(server: ServerProcess, repo: Path, client: docker.DockerClient) -> None:
    assert_fsck_clean(repo)
    assert_checkout_clean(repo)
    assert_no_orphans(server, repo, client)


def land_after_restart(
    server: ServerProcess, repo: Path, client: docker.DockerClient, task_id: str
) -> None:
    """The interrupted accept either landed whole or is back in review with the
    reason and the checkout as it was; a second accept then lands it whole."""
    after = settled(server, task_id)
    if after["status"] == "waiting":
        assert "interrupted before it landed" in after["error"]
        assert file_on_branch(repo, "main", "small.txt") is None
        assert not (repo / "gen").exists() and not (repo / "small.txt").exists()
        row = stored(server.data_dir, task_id)
        assert file_on_branch(repo, row["branch"], "small.txt") is None, "the branch as reviewed"
        assert_whole(server, repo, client)
        server.act(task_id, "accept")
        after = server.wait_for(task_id, "done", timeout=HANG_S)
    assert after["status"] == "done", after
    assert file_on_branch(repo, "main", "small.txt") == "small\n"
    assert (repo / "gen" / "d7" / f"f{FILES - 93}.txt").read_text() == f"file {FILES - 93}\n"
    assert_whole(server, repo, client)


def test_kill_9_during_a_run(
    server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    running = start_and_see(server, "say first\nsleep 2\nwrite late.txt late", "first")
    queued = server.create("never started")["id"]
    server.kill()

    server = restart(server)
    try:
        assert server.wait_for(running, "waiting")["error"] == ""
        assert server.task(queued)["status"] == "backlog"
        assert_whole(server, repo, docker_client)
        server.act(running, "cancel")
        assert_whole(server, repo, docker_client)
    finally:
        server.stop()


@pytest.mark.parametrize(
    "reached",
    [
        lambda row: row["status"] == "committing",  # the commit under way
        lambda row: bool(row["merged_head"]),  # committed: the fast-forward under way
    ],
    ids=["commit", "fast_forward"],
)
def test_kill_9_during_an_accept(
    server: ServerProcess,
    repo: Path,
    docker_client: docker.DockerClient,
    reached: Callable[[dict[str, Any]], bool],
) -> None:
    task_id = big_change(server)
    server.act(task_id, "accept")
    kill_when(server, task_id, reached)

    server = restart(server)
    try:
        land_after_restart(server, repo, docker_client, task_id)
    finally:
        server.stop()
