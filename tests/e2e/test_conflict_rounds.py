"""Conflict rounds on the real engine: an accept whose rebase conflicts resumes the
task's agent on the conflict, up to the ``conflict_rounds`` setting, then lands or
goes back to review with the conflict shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pygit2
import pytest

from tests.e2e.test_kill9 import FILES, HANG_S, assert_whole, kill_when
from tests.e2e.test_restart import restart
from tests.gitrepo import commit, file_on_branch
from tests.leftovers import assert_checkout_clean, assert_fsck_clean
from tests.server_process import ServerProcess


def conflicting(server: ServerProcess, repo: Path, prompt: str) -> tuple[str, str]:
    """A task waiting with README.md changed, and a main that changed it otherwise:
    the task's id and main's head."""
    task = server.create(f"{prompt}\nwrite README.md agent version")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    return str(task["id"]), commit(repo, {"README.md": "user version\n"}, "Reword the readme")


def rounds(server: ServerProcess, task_id: str) -> list[dict[str, Any]]:
    """The log's round notes, in order."""
    return [
        e["data"]
        for e in server.events(task_id)
        if e["type"] == "system" and e["data"].get("message", "").startswith("conflict round ")
    ]


def moves(server: ServerProcess, task_id: str) -> list[str]:
    states = [e["data"] for e in server.events(task_id) if e["type"] == "state"]
    return [f"{s['from']}>{s['to']}" for s in states]


def said(server: ServerProcess, task_id: str) -> str:
    """Everything the agent's output holds, as one text."""
    return "\n".join(str(e["data"]) for e in server.events(task_id) if e["type"] == "output")


def test_the_agent_resolves_the_conflict_and_the_accept_lands(
    server: ServerProcess, repo: Path
) -> None:
    task_id, main = conflicting(server, repo, "onconflict merged by the agent")

    server.act(task_id, "accept")
    done = server.wait_for(task_id, "done", "waiting", "failed", timeout=60)

    assert done["status"] == "done", done
    assert file_on_branch(repo, "main", "README.md") == "merged by the agent\n"
    assert (repo / "README.md").read_text() == "merged by the agent\n"
    assert_fsck_clean(repo)
    assert_checkout_clean(repo)
    [note] = rounds(server, task_id)
    assert note["files"] == ["README.md"]
    expected = f"conflict round 1 of 3: README.md conflict with main at {main[:12]}"
    assert note["message"].startswith(expected)
    assert moves(server, task_id)[-4:] == [
        "waiting>committing",
        "committing>in_progress",
        "in_progress>committing",
        "committing>done",
    ]
    # The session was resumed with the files and the new base.
    output = said(server, task_id)
    assert "Resuming session" in output
    assert "Conflict resolved: /workspace/project/README.md" in output
    assert main[:12] in output and "Reword the readme" in output
    landed = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert landed["files"] == ["README.md"] and done["conflict_files"] == []


def test_an_agent_that_cannot_resolve_it_hands_it_back_after_three_rounds(
    server: ServerProcess, repo: Path
) -> None:
    task_id, main = conflicting(server, repo, "say I never resolve anything")

    server.act(task_id, "accept")
    back = server.wait_for(task_id, "waiting", "done", "failed", timeout=120)

    assert back["status"] == "waiting", back
    assert back["conflict_files"] == ["README.md"] and back["conflict_round"] == 0
    assert "could not resolve it in 3 rounds" in back["error"]
    assert [n["message"].split(":")[0] for n in rounds(server, task_id)] == [
        f"conflict round {n} of 3" for n in (1, 2, 3)
    ]
    assert file_on_branch(repo, "main", "README.md") == "user version\n"
    assert_fsck_clean(repo)
    # The conflict shows as ever: the markers left, the default branch's side first.
    [shown] = server.api("GET", f"/api/tasks/{task_id}/conflicts")["files"]
    sides = [(kind, text) for hunk in shown["hunks"] for kind, _, text in hunk if kind != " "]
    assert sides == [("branch", "user version"), ("task", "agent version")]
    # An accept now refuses the markers rather than land them (no rounds: set to 0).
    server.api("PUT", "/api/config", {"conflict_rounds": 0})
    server.act(task_id, "accept")
    again = server.wait_for(task_id, "waiting", "done", "failed", timeout=60)
    assert again["status"] == "waiting" and "conflict markers" in again["error"]
    assert str(pygit2.Repository(str(repo)).head.target) == main, "nothing landed"


def test_the_setting_is_the_number_of_rounds(server: ServerProcess, repo: Path) -> None:
    server.api("PUT", "/api/config", {"conflict_rounds": 1})
    task_id, _ = conflicting(server, repo, "say I never resolve anything")

    server.act(task_id, "accept")
    back = server.wait_for(task_id, "waiting", "done", "failed", timeout=60)

    assert back["status"] == "waiting" and "in 1 rounds" in back["error"]
    assert len(rounds(server, task_id)) == 1
    assert server.api("GET", "/api/config")["conflict_rounds"] == 1


@pytest.mark.parametrize(
    "reached",
    [
        lambda row: bool(row["conflict_change"]),  # the round's workspace being written
        lambda row: row["status"] == "in_progress" and bool(row["container_id"]),  # its run
    ],
    ids=["preparing", "resolving"],
)
def test_kill_9_mid_round_ends_truthfully(
    child_server: ServerProcess,
    repo: Path,
    docker_client: docker.DockerClient,
    reached: Callable[[dict[str, Any]], bool],
) -> None:
    """Cut off while its workspace is written (main brought many files), the round is
    prepared again; cut off while the agent resolves, its run is followed to its end.
    Either way the accept lands whole."""
    server = child_server
    task_id, _ = conflicting(server, repo, "onconflict merged by the agent\nconflictsleep 3")
    commit(repo, {f"gen/d{n % 100}/f{n}.txt": f"file {n}\n" for n in range(FILES)}, "Generate")
    server.act(task_id, "accept")
    kill_when(server, task_id, reached)

    server = restart(server)
    try:
        done = server.wait_for(task_id, "done", "waiting", "failed", timeout=HANG_S)
        assert done["status"] == "done", done
        assert file_on_branch(repo, "main", "README.md") == "merged by the agent\n"
        assert file_on_branch(repo, "main", "gen/d7/f1907.txt") == "file 1907\n"
        # One round (a kill between its note and its move notes it twice).
        assert {tuple(n["files"]) for n in rounds(server, task_id)} == {("README.md",)}
        assert_whole(server, repo, docker_client)
    finally:
        server.stop()
