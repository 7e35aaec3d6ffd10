"""Attempts on the real engine with the fake agent: one prompt run by several models
at once, each on its own branch and workspace; accepting one lands it and cancels
and cleans up the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest

from tests.e2e.test_kill9 import FILES, HANG_S, kill_when
from tests.e2e.test_restart import restart
from tests.engine import containers_of
from tests.gitrepo import branches, file_on_branch
from tests.inprocess import InProcessServer
from tests.leftovers import assert_checkout_clean, assert_fsck_clean, assert_no_orphans, stored
from tests.server_process import ServerProcess, added_text

MODELS = ["alpha", "beta", ""]  # "" the agent's default: the fake agent writes "default"


def start_attempts(server: ServerProcess, task_id: str, specs: list[Any]) -> list[dict[str, Any]]:
    body = {"attempts": specs}
    return server.api("POST", f"/api/tasks/{task_id}/attempts", body, status=202)["attempts"]  # type: ignore[no-any-return]


@pytest.fixture
def two_slots(tmp_path: Path, repo: Path, sandbox_image: str) -> Any:
    """Three attempts and room for two runs: the third waits for a slot like any start."""
    server = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "2"))
    server.start()
    yield server
    server.stop()


def test_three_attempts_run_apart_and_accepting_one_cancels_the_rest(
    two_slots: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    server = two_slots
    original = server.create("model answer.txt", title="Answer")
    specs = [{"agent": "claude", "model": model} for model in MODELS]
    attempts = start_attempts(server, original["id"], specs)
    assert [a["model"] for a in attempts] == MODELS
    assert all(a["attempt_of"] == original["id"] and a["title"] == "Answer" for a in attempts)
    assert all(a["status"] == "in_progress" for a in attempts)
    assert server.task(original["id"])["attempts"] == 3

    waiting = [server.wait_for(a["id"], "waiting") for a in attempts]
    ids = [t["id"] for t in waiting]
    assert all(t["attempt_of"] == original["id"] for t in waiting), "shown on GET"
    assert [t["branch"] for t in waiting] == [f"task/{i[:8]}" for i in ids]
    assert sorted(branches(repo)) == sorted(["main", *(t["branch"] for t in waiting)])
    workspaces = server.data_dir / "workspaces"
    assert all((workspaces / i).is_dir() for i in ids), "each has its own workspace"
    sessions = {t["session_id"] for t in waiting}
    assert len(sessions) == 3, "each ran its own agent, in its own container"
    for task, model in zip(waiting, MODELS, strict=True):
        diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
        assert diff["files"] == ["answer.txt"]
        assert added_text(diff).strip() == (model or "default")

    group = server.api("GET", f"/api/tasks/{ids[1]}/attempts")
    assert group["original"] == original["id"]
    assert [t["id"] for t in group["tasks"]] == [original["id"], *ids]

    server.act(ids[1], "accept")
    server.wait_for(ids[1], "done")
    assert file_on_branch(repo, "main", "answer.txt") == "beta\n"
    for other in (original["id"], ids[0], ids[2]):
        cancelled = server.wait_for(other, "cancelled")
        assert not (workspaces / other).exists()
        assert containers_of(docker_client, other) == []
        reasons = [e["data"]["reason"] for e in server.events(other) if e["type"] == "state"]
        assert f"attempt {ids[1][:8]} of the same prompt landed" in reasons[-1], cancelled
    assert branches(repo) == ["main"]
    assert_checkout_clean(repo)
    assert_no_orphans(server, repo, docker_client)


def test_attempts_are_refused_with_the_reason(bare_server: ServerProcess) -> None:
    server = bare_server
    task = server.create("say hi")
    url = f"/api/tasks/{task['id']}/attempts"

    def refused(body: Any, status: int) -> dict[str, Any]:
        return server.api("POST", url, body, status=status)  # type: ignore[no-any-return]

    assert refused({"attempts": "two"}, 400)["field"] == "attempts"
    assert refused({"attempts": [{"model": "a"}]}, 422)["field"] == "attempts"
    assert refused({"attempts": [{}] * 6}, 422)["field"] == "attempts"
    unknown = refused({"attempts": [{}, {"agent": "nobody"}]}, 400)
    assert unknown["field"] == "agent" and unknown["error"].startswith("attempts[1]: ")
    assert refused({"attempts": [{}, {"model": "two words"}]}, 422)["field"] == "model"
    assert refused({"attempts": [{}, {"model": 3}]}, 400)["field"] == "model"
    assert refused({"attempts": [{}, {"temperature": 1}]}, 400)["field"] == "temperature"
    no_login = refused({"attempts": [{}, {"agent": "codex"}]}, 422)  # it would fail at once
    assert no_login["field"] == "env" and no_login["error"].startswith("attempts[1]: ")
    # Nothing was made by the refused requests.
    assert server.task(task["id"])["attempts"] == 0
    assert server.api("GET", "/api/tasks")["tasks"] == [server.task(task["id"])]
    missing = server.api("POST", "/api/tasks/nope/attempts", {"attempts": [{}, {}]}, status=404)
    assert "no task" in missing["error"]


def test_attempts_of_an_attempt_or_of_a_landed_task_conflict(
    server: ServerProcess, repo: Path
) -> None:
    task = server.create("write one.txt one")
    first, _ = start_attempts(server, task["id"], [{}, {}])
    conflict = server.api(
        "POST", f"/api/tasks/{first['id']}/attempts", {"attempts": [{}, {}]}, status=409
    )
    assert "is an attempt of" in conflict["error"] and conflict["field"] == "attempts"
    server.wait_for(first["id"], "waiting")
    server.act(first["id"], "accept")
    server.wait_for(first["id"], "done")
    server.wait_for(task["id"], "cancelled")
    again = server.api(
        "POST", f"/api/tasks/{first['id']}/attempts", {"attempts": [{}, {}]}, status=409
    )
    assert "is an attempt of" in again["error"]
    late = server.api(
        "POST", f"/api/tasks/{task['id']}/attempts", {"attempts": [{}, {}]}, status=409
    )
    assert "this one is cancelled" in late["error"]


def test_a_kill_9_while_the_others_are_cancelled_ends_truthfully(
    child_server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    """The accepted attempt has landed and the others are being cancelled; a restart
    finds it committing, its change landed, and finishes: it done, the rest gone."""
    server = child_server
    # A slow clean-up to be caught in: the first of the others to go has many files,
    # deleted (the pool would take its workspace in at once, a rename).
    server.api("PUT", "/api/config", {"workspace_pool": 0})
    original = server.create("model answer.txt")
    attempts = start_attempts(server, original["id"], [{"model": m} for m in MODELS])
    ids = [server.wait_for(a["id"], "waiting")["id"] for a in attempts]
    workspace = Path(stored(server.data_dir, ids[0])["worktree"])
    for n in range(FILES):
        folder = workspace / "gen" / f"d{n % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.txt").write_text(f"file {n}\n")
    server.act(ids[2], "accept")
    kill_when(server, original["id"], lambda row: row["status"] == "cancelled")
    assert stored(server.data_dir, ids[2])["status"] == "committing", "done comes last"

    server = restart(server)
    try:
        assert server.wait_for(ids[2], "done", timeout=HANG_S)["error"] == ""
        assert file_on_branch(repo, "main", "answer.txt") == "default\n"
        for other in (original["id"], ids[0], ids[1]):
            assert server.task(other)["status"] == "cancelled"
        assert branches(repo) == ["main"]
        assert_fsck_clean(repo)
        assert_checkout_clean(repo)
        assert_no_orphans(server, repo, docker_client)
    finally:
        server.stop()


def test_the_autopilot_leaves_a_task_whose_attempts_run_its_prompt(server: ServerProcess) -> None:
    original = server.create("model answer.txt")
    for attempt in start_attempts(server, original["id"], [{}, {}]):
        server.wait_for(attempt["id"], "waiting")
    other = server.create("write other.txt other")
    server.api("PUT", "/api/config", {"autopilot": True})
    server.wait_for(other["id"], "waiting")  # room for both: it looked at both in one go
    assert server.task(original["id"])["status"] == "backlog"


def test_a_second_attempt_cannot_be_accepted_while_one_lands(server: ServerProcess) -> None:
    original = server.create("model answer.txt")
    first, second = start_attempts(server, original["id"], [{"model": "a"}, {"model": "b"}])
    for attempt in (first, second):
        server.wait_for(attempt["id"], "waiting")
    workspace = Path(stored(server.data_dir, first["id"])["worktree"])
    for n in range(FILES):  # an accept that takes a while to land
        (workspace / f"f{n}.txt").write_text(f"file {n}\n")
    server.act(first["id"], "accept")
    # Landing (committing) or landed (the other cancelled): either way, refused.
    refused = server.act(second["id"], "accept", status=409)
    assert "committing" in refused["error"] or "cancelled" in refused["error"]
    server.wait_for(first["id"], "done", timeout=HANG_S)
    assert server.wait_for(second["id"], "cancelled")["status"] == "cancelled"
