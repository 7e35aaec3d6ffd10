"""Containers made ahead of a start, through the real server, engine and git.

A start takes the container made ahead only if it was made from what the start
would use now; otherwise, and after a timeout, a delete or a restart, it goes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import docker
import pytest

from server import ahead
from tests.engine import containers_of, holders_of
from tests.gitrepo import task_refs
from tests.polling import until
from tests.server_process import ServerProcess


def prepared(
    server: ServerProcess, client: docker.DockerClient, task_id: str, timeout: float = 30
) -> str:
    """Ask until the container is made (the first ask may find the image still being
    checked); return its id."""
    deadline = time.monotonic() + timeout
    while not server.act(task_id, "prepare")["ready"]:
        assert time.monotonic() < deadline, server.log()[-3000:]
        time.sleep(0.05)
    [container_id] = containers_of(client, task_id)
    return container_id


def running(client: docker.DockerClient, task_id: str) -> dict[str, Any]:
    """The task's container once it runs (the agent sleeps, so it is caught running)."""
    [found] = until("its container to run", lambda: containers_of(client, task_id, "running"))
    return client.api.inspect_container(found)  # type: ignore[no-any-return]


def gone(client: docker.DockerClient, container_id: str) -> bool:
    try:
        client.containers.get(container_id)
    except docker.errors.NotFound:
        return True
    return False


def test_a_start_only_starts_the_container_made_ahead(
    server: ServerProcess, docker_client: docker.DockerClient, repo: Path
) -> None:
    task = server.create("say made ahead\nsleep 2")
    made = prepared(server, docker_client, task["id"])
    assert docker_client.containers.get(made).status == "created", "made, not started"
    assert server.act(task["id"], "prepare")["ready"], "asking again changes nothing"
    assert containers_of(docker_client, task["id"]) == [made]
    assert server.task(task["id"])["status"] == "backlog"
    [holder] = holders_of(docker_client, task["id"])  # its network, made ahead too
    assert docker_client.containers.get(holder).status == "running"

    server.act(task["id"], "start")
    started = running(docker_client, task["id"])
    assert started["Id"] == made
    assert started["HostConfig"]["NetworkMode"] == f"container:{holder}"
    done = server.wait_for(task["id"], "waiting")
    assert done["error"] == ""
    assert "made ahead" in str(server.events(task["id"]))
    assert containers_of(docker_client, task["id"]) == []
    assert holders_of(docker_client, task["id"]) == [], "the network's holder goes with it"
    assert task_refs(repo), "the workspace made ahead is the run's"


def test_an_env_file_changed_behind_the_servers_back_is_seen_at_the_start(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task = server.create("sleep 2")
    stale = prepared(server, docker_client, task["id"])
    # Written directly, as a person editing the file does: no event tells the server.
    (server.data_dir / "env").write_text("WALLFACER_TEST_TOKEN=rotated\n")

    server.act(task["id"], "start")
    fresh = running(docker_client, task["id"])
    assert fresh["Id"] != stale
    assert "WALLFACER_TEST_TOKEN=rotated" in fresh["Config"]["Env"]
    assert gone(docker_client, stale)
    server.wait_for(task["id"], "waiting")


def test_settings_and_prompt_changes_discard_it(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task = server.create("sleep 2")
    stale = prepared(server, docker_client, task["id"])
    server.api("PUT", "/api/config", {"pids_limit": 2048})
    assert gone(docker_client, stale)

    again = prepared(server, docker_client, task["id"])
    server.api("PATCH", f"/api/tasks/{task['id']}", {"prompt": "say edited\nsleep 2"})
    assert gone(docker_client, again)

    server.act(task["id"], "start")
    fresh = running(docker_client, task["id"])
    assert fresh["HostConfig"]["PidsLimit"] == 2048
    server.wait_for(task["id"], "waiting")
    assert "edited" in str(server.events(task["id"]))


def test_a_container_made_ahead_expires_with_its_workspace(
    server: ServerProcess,
    docker_client: docker.DockerClient,
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ahead, "TTL_S", 3.0)  # the server runs in this process
    task = server.create("say hi")
    made = prepared(server, docker_client, task["id"])
    workspace = server.data_dir / "workspaces" / task["id"]
    assert workspace.exists() and task_refs(repo)
    # The branch made ahead goes too, just after the workspace's folder.
    until(
        "its expiry",
        lambda: gone(docker_client, made) and not workspace.exists() and not task_refs(repo),
    )
    assert server.task(task["id"])["status"] == "backlog"


def test_delete_removes_what_was_made_ahead(
    server: ServerProcess, docker_client: docker.DockerClient, repo: Path
) -> None:
    task = server.create("say hi")
    made = prepared(server, docker_client, task["id"])
    assert task_refs(repo)
    server.api("DELETE", f"/api/tasks/{task['id']}")
    assert gone(docker_client, made)
    assert holders_of(docker_client, task["id"]) == []
    assert task_refs(repo) == []
    assert not (server.data_dir / "workspaces" / task["id"]).exists()
    assert not (server.data_dir / "homes" / task["id"]).exists()


def test_at_most_a_few_are_made_ahead_the_oldest_dropped(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    tasks = [server.create(f"say {n}") for n in range(ahead.MAX_PREPARED + 1)]
    made = [prepared(server, docker_client, task["id"]) for task in tasks]
    until("the oldest dropped", lambda: gone(docker_client, made[0]))
    assert not any(gone(docker_client, m) for m in made[1:])
    assert not server.act(tasks[0]["id"], "prepare")["ready"]


def test_only_a_backlog_task_is_prepared(server: ServerProcess) -> None:
    task = server.create("say hi")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    answer = server.request("POST", f"/api/tasks/{task['id']}/prepare")
    assert answer.status_code == 409 and "backlog" in answer.json()["error"]
    assert server.request("POST", "/api/tasks/no-such-task/prepare").status_code == 404


def test_a_restart_removes_what_was_made_ahead(
    child_server: ServerProcess, docker_client: docker.DockerClient, repo: Path
) -> None:
    task = child_server.create("say hi")
    made = prepared(child_server, docker_client, task["id"])
    assert (child_server.data_dir / "homes" / task["id"]).exists()
    child_server.kill()
    assert not gone(docker_client, made), "nothing removed it: the process died"
    assert task_refs(repo)

    again = ServerProcess(child_server.data_dir, child_server.repos, child_server.image)
    again.start()
    try:
        workspace = again.data_dir / "workspaces" / task["id"]
        home = again.data_dir / "homes" / task["id"]
        until("the sweep", lambda: gone(docker_client, made) and not workspace.exists())
        until(
            "the sweep",
            lambda: holders_of(docker_client, task["id"]) == [] and not home.exists(),
        )
        assert task_refs(repo) == [], "the branch made ahead goes with its workspace"
        assert again.task(task["id"])["status"] == "backlog"
    finally:
        again.stop()
