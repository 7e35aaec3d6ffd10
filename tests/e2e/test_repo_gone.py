"""The user's repository deleted or moved while a task on it runs: the task fails with a
reason naming the repository, and the app, and tasks on other repositories, go on."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from server.states import Status
from server.store import Store
from tests.gitrepo import file_on_branch, make_repo
from tests.server_process import ServerProcess


def deleted(repo: Path) -> None:
    shutil.rmtree(repo)


def moved(repo: Path) -> None:
    repo.rename(repo.with_name(repo.name + "-moved"))


@pytest.mark.parametrize("fault", [deleted, moved])
def test_the_repo_gone_mid_run_fails_its_task_with_the_reason(
    server: ServerProcess, repo: Path, tmp_path: Path, fault: Callable[[Path], None]
) -> None:
    other = make_repo(tmp_path / "other")
    doomed = server.create("sleep 5\nwrite x.txt x")
    bystander = server.create("sleep 5\nwrite y.txt y", repo=str(other))
    for task in (doomed, bystander):
        server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{doomed['id']}/logs", until=lambda evs: any("Thinking" in str(e) for e in evs)
    )
    fault(repo)

    failed = server.wait_for(doomed["id"], "failed", "waiting")
    assert failed["status"] == "failed"
    assert str(repo) in failed["error"] and "repository" in failed["error"], failed["error"]
    assert server.request("GET", "/health").ok
    server.wait_for(bystander["id"], "waiting")
    server.act(bystander["id"], "accept")
    server.wait_for(bystander["id"], "done")
    assert file_on_branch(other, "main", "y.txt") == "y\n"
    server.act(doomed["id"], "cancel")
    assert server.task(doomed["id"])["status"] == "cancelled"


def test_an_accept_cut_off_on_a_repo_gone_meanwhile_fails_and_the_rest_recover(
    child_server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    other = make_repo(tmp_path / "other")
    tasks = [
        child_server.create("write x.txt x"),
        child_server.create("write y.txt y", repo=str(other)),
    ]
    for task in tasks:
        child_server.act(task["id"], "start")
        child_server.wait_for(task["id"], "waiting")
    child_server.kill()
    store = Store(child_server.data_dir / "wallfacer.db")
    for task in tasks:  # as a crash in their accepts leaves them
        store.transition(task["id"], Status.WAITING, Status.COMMITTING, "accepted")
    base = store.get_task(tasks[0]["id"]).base_commit  # type: ignore[union-attr]
    store.update_task(tasks[0]["id"], merged_base=base, merged_head=base)  # just before the ff
    store.close()
    shutil.rmtree(repo)

    server = ServerProcess(child_server.data_dir, [], child_server.image)  # no repo to name
    server.start()
    try:
        failed = server.wait_for(tasks[0]["id"], "failed")
        assert str(repo) in failed["error"] and "repository" in failed["error"], failed["error"]
        assert "interrupted" in server.wait_for(tasks[1]["id"], "waiting")["error"]
        server.act(tasks[1]["id"], "accept")
        server.wait_for(tasks[1]["id"], "done")
        assert file_on_branch(other, "main", "y.txt") == "y\n"
    finally:
        server.stop()
