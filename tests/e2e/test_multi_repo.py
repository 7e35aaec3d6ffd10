"""A task spanning two registered repositories, on the real engine with the fake agent:
one workspace each at /workspace/<name>, a diff per repository, an accept that lands
in both or neither, and a kill -9 between the two branch moves that a restart
completes from the journal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pygit2
import pytest

from tests.e2e.test_restart import restart
from tests.e2e.test_verify import verdict
from tests.gitrepo import branches, commit, file_on_branch, make_repo, status, task_refs
from tests.leftovers import assert_checkout_clean, assert_fsck_clean, assert_no_orphans, stored
from tests.server_process import ServerProcess

FILES = 2_000  # the second repository's checkout then takes long enough to be caught in
HANG_S = 300


def second_repo(server: ServerProcess, path: Path, files: dict[str, str] | None = None) -> Path:
    made = make_repo(path, files or {"lib.txt": "v1\n"})
    server.api("POST", "/api/repos", {"path": str(made)}, status=201)
    return made.resolve()


def waiting_across(server: ServerProcess, prompt: str, other: Path) -> dict[str, Any]:
    """A task spanning ``other`` too, run once, waiting for review."""
    task_id = server.create(prompt, also=[str(other)])["id"]
    server.act(task_id, "start")
    return server.wait_for(task_id, "waiting")


def head(repo: Path) -> str:
    return str(pygit2.Repository(str(repo)).references["refs/heads/main"].target)


def test_a_task_spanning_two_repos_reviews_and_lands_in_both(
    server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    lib = second_repo(server, tmp_path / "lib")
    task = server.create(
        "write app.txt app change\nwrite /workspace/lib/util.txt lib change\n"
        "run ls /workspace > /workspace/lib/seen.txt",
        also=[str(lib)],
    )
    assert task["also"] == [str(lib)]
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")

    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert (diff["name"], diff["files"]) == ("project", ["app.txt"])
    [other] = diff["also"]
    assert (other["name"], other["repo"]) == ("lib", str(lib))
    assert other["files"] == ["seen.txt", "util.txt"]
    commit(lib, {"later.txt": "the user kept working\n"})  # the accept rebases onto it

    server.act(task["id"], "accept")
    done = server.wait_for(task["id"], "done")

    assert file_on_branch(repo, "main", "app.txt") == "app change\n"
    assert file_on_branch(lib, "main", "util.txt") == "lib change\n"
    assert file_on_branch(lib, "main", "seen.txt") == "lib\nproject\n", "both were mounted"
    assert file_on_branch(lib, "main", "later.txt") == "the user kept working\n"
    landed = {entry["name"]: entry["commit"] for entry in done["landed"]}
    assert landed == {"project": head(repo), "lib": head(lib)}
    assert done["landed_commit"] == head(repo)
    for each in (repo, lib):
        assert status(each) == {} and branches(each) == ["main"] and task_refs(each) == []
    after = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert after["files"] == ["app.txt"] and after["also"][0]["files"] == ["seen.txt", "util.txt"]


def test_a_conflict_in_one_repo_moves_neither(
    server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    lib = second_repo(server, tmp_path / "lib")
    prompt = "write app.txt app change\nwrite /workspace/lib/lib.txt agent version"
    task_id = waiting_across(server, prompt, lib)["id"]
    before = head(repo)
    user = commit(lib, {"lib.txt": "user version\n"})

    server.act(task_id, "accept")
    back = server.wait_for(task_id, "waiting")

    assert back["conflict_files"] == ["lib/lib.txt"]
    assert back["error"].startswith("lib: ") and "lib.txt" in back["error"]
    assert head(repo) == before and file_on_branch(repo, "main", "app.txt") is None
    assert head(lib) == user
    assert not (repo / "app.txt").exists()
    assert status(repo) == {} and status(lib) == {}
    row = stored(server.data_dir, task_id)
    assert row["merged_head"] == "" and json.loads(row["also"])[0]["merged_head"] == ""
    [where] = server.api("GET", f"/api/tasks/{task_id}/conflicts")["files"]
    assert where["path"] == "lib/lib.txt" and "agent version" in json.dumps(where["hunks"])

    server.act(task_id, "cancel")
    server.wait_for(task_id, "cancelled")
    for each in (repo, lib):
        assert branches(each) == ["main"] and task_refs(each) == []


def big_task(server: ServerProcess, repo: Path, tmp_path: Path) -> tuple[str, Path]:
    """A task waiting for review across ``project`` (one small file) and ``zbig`` (one
    small file and FILES more): zbig's path sorts last, so it is prepared and moved last."""
    big = second_repo(server, tmp_path / "zbig")
    prompt = "write small.txt small\nwrite /workspace/zbig/one.txt one"
    task_id = waiting_across(server, prompt, big)["id"]
    workspace = Path(json.loads(stored(server.data_dir, task_id)["also"])[0]["worktree"])
    for n in range(FILES):
        folder = workspace / "gen" / f"d{n % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n}.txt").write_text(f"file {n}\n")
    return task_id, big


def kill_when(server: ServerProcess, reached: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG_S
    while not reached():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.002)
    server.kill()


def assert_landed_whole(
    server: ServerProcess, task_id: str, repos: list[Path], client: docker.DockerClient
) -> None:
    done = server.task(task_id)
    assert done["status"] == "done", done
    assert [e["commit"] for e in done["landed"]] == [head(each) for each in repos]
    for each in repos:
        assert_fsck_clean(each)
        assert_checkout_clean(each)
        assert_no_orphans(server, each, client)
        assert branches(each) == ["main"] and task_refs(each) == []


def test_kill_9_between_the_two_moves_completes_the_accept_after_a_restart(
    child_server: ServerProcess, repo: Path, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    """The primary moves first; the second's checkout of FILES files is under way when
    the app is killed. The journal is completed: both land."""
    server = child_server
    task_id, big = big_task(server, repo, tmp_path)
    big_before = head(big)

    server.act(task_id, "accept")

    def first_moved() -> bool:
        row = stored(server.data_dir, task_id)
        return bool(row["merged_head"]) and head(repo) == row["merged_head"]

    kill_when(server, first_moved)
    assert head(big) == big_before, "killed between the two moves"

    server = restart(server)
    try:
        server.wait_for(task_id, "done", "waiting", "failed", timeout=HANG_S)
        assert file_on_branch(repo, "main", "small.txt") == "small\n"
        assert file_on_branch(big, "main", "one.txt") == "one\n"
        assert (big / "gen" / "d7" / f"f{FILES - 93}.txt").read_text() == f"file {FILES - 93}\n"
        assert_landed_whole(server, task_id, [repo, big], docker_client)
    finally:
        server.stop()


@pytest.mark.parametrize("mid_write", [False, True], ids=["", "mid-write-of-its-branch"])
def test_kill_9_before_the_journal_moves_neither_and_a_second_accept_lands_both(
    child_server: ServerProcess,
    repo: Path,
    tmp_path: Path,
    docker_client: docker.DockerClient,
    mid_write: bool,
) -> None:
    """Killed while zbig's FILES files are committed, before anything is journaled;
    ``mid_write``: while git wrote the task branch, whose lock file is left behind."""
    server = child_server
    task_id, big = big_task(server, repo, tmp_path)
    before = (head(repo), head(big))

    server.act(task_id, "accept")
    kill_when(server, lambda: stored(server.data_dir, task_id)["status"] == "committing")
    assert stored(server.data_dir, task_id)["merged_head"] == "", "killed before the journal"
    if mid_write:
        branch = stored(server.data_dir, task_id)["branch"]
        (repo / ".git" / "refs" / "heads" / f"{branch}.lock").write_text(before[0] + "\n")

    server = restart(server)
    try:
        back = server.wait_for(task_id, "done", "waiting", "failed", timeout=HANG_S)
        assert back["status"] == "waiting", back
        assert "interrupted before it landed" in back["error"]
        assert (head(repo), head(big)) == before
        for each in (repo, big):
            assert_fsck_clean(each)
            assert_checkout_clean(each)
            assert_no_orphans(server, each, docker_client)
            row = stored(server.data_dir, task_id)
            assert file_on_branch(each, row["branch"], "small.txt") is None, "as reviewed"
        server.act(task_id, "accept")
        server.wait_for(task_id, "done", timeout=HANG_S)
        assert_landed_whole(server, task_id, [repo, big], docker_client)
    finally:
        server.stop()


def test_also_must_name_other_registered_repos_of_distinct_names(
    bare_server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    server = bare_server
    lib = second_repo(server, tmp_path / "lib")
    twin = second_repo(server, tmp_path / "elsewhere" / "project")  # the primary's name
    stray = make_repo(tmp_path / "stray")
    refused = {
        "not a list": ("lib", 400),
        "not a repository": ([str(tmp_path)], 400),
        "not registered": ([str(stray)], 422),
        "the primary again": ([str(repo)], 422),
        "named twice": ([str(lib), str(lib)], 422),
        "the primary's name": ([str(twin)], 422),
    }
    for why, (also, code) in refused.items():
        answer = server.request("POST", "/api/tasks", json={"prompt": "x", "also": also})
        assert answer.status_code == code, (why, answer.text)
        assert answer.json()["field"] == "also", why
    named = server.request("POST", "/api/tasks", json={"prompt": "x", "also": [str(stray)]})
    assert str(stray) in named.json()["error"]
    clash = server.request("POST", "/api/tasks", json={"prompt": "x", "also": [str(twin)]})
    assert "/workspace/project" in clash.json()["error"]
    task = server.create("x", also=[str(lib)])
    assert server.task(task["id"])["also"] == [str(lib)]
    assert server.api("GET", "/api/tasks")["tasks"][0]["also"] == [str(lib)]


def test_a_run_that_changed_only_another_repo_has_changed_files(
    server: ServerProcess, tmp_path: Path
) -> None:
    lib = second_repo(server, tmp_path / "lib")
    waiting = waiting_across(server, "write /workspace/lib/only.txt only here", lib)
    task_id = waiting["id"]
    notes = [e["data"].get("message", "") for e in server.events(task_id)]
    assert "the run changed no files" not in notes, waiting
    server.act(task_id, "accept")
    server.wait_for(task_id, "done")
    assert file_on_branch(lib, "main", "only.txt") == "only here\n"


def test_a_cancelled_task_retried_starts_each_repo_afresh_from_its_head(
    server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    lib = second_repo(server, tmp_path / "lib")
    prompt = "write app.txt app change\nwrite /workspace/lib/util.txt lib change"
    task_id = waiting_across(server, prompt, lib)["id"]
    server.act(task_id, "cancel")
    server.wait_for(task_id, "cancelled")
    assert branches(lib) == ["main"] and task_refs(lib) == []
    for each in (repo, lib):
        commit(each, {"later.txt": "made while the task was cancelled\n"})

    server.act(task_id, "retry")
    server.act(task_id, "start")
    server.wait_for(task_id, "waiting")
    diff = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert diff["files"] == ["app.txt"], "the change against the repo's head, nothing else"
    assert diff["also"][0]["files"] == ["util.txt"], "and lib's alike"
    server.api("DELETE", f"/api/tasks/{task_id}")
    for each in (repo, lib):
        assert branches(each) == ["main"] and task_refs(each) == []
    assert not (server.data_dir / "workspaces" / task_id).exists()


def test_another_repo_is_seeded_from_its_own_worktreeinclude(
    server: ServerProcess, tmp_path: Path
) -> None:
    lib = make_repo(tmp_path / "lib", {".gitignore": ".env\n", ".worktreeinclude": ".env\n"})
    (lib / ".env").write_text("LIB_TOKEN=xyz\n")
    server.api("POST", "/api/repos", {"path": str(lib)}, status=201)
    task_id = server.create("show /workspace/lib/.env", also=[str(lib.resolve())])["id"]
    server.act(task_id, "start")
    assert server.wait_for(task_id, "waiting")["error"] == ""
    log = json.dumps([e["data"] for e in server.events(task_id)])
    assert "LIB_TOKEN=xyz" in log, "the agent read the copy"
    [other] = server.api("GET", f"/api/tasks/{task_id}/diff")["also"]
    assert other["files"] == [], "ignored, the copy is no change"


def test_a_verifier_sees_every_repo_the_task_spans_read_only(
    server: ServerProcess, tmp_path: Path
) -> None:
    lib = second_repo(server, tmp_path / "lib")
    prompt = "write /workspace/lib/util.txt lib change\nseen /workspace/lib/util.txt"
    task_id = server.create(prompt, also=[str(lib)])["id"]
    server.act(task_id, "start")
    server.wait_for(task_id, "waiting")
    before = server.api("GET", f"/api/tasks/{task_id}/diff")

    server.act(task_id, "verify")
    given = verdict(server, task_id)
    assert (given["status"], given["reasons"]) == ("pass", "/workspace/lib/util.txt is there")
    # The verifier's own write of the file was refused: the change is as it was.
    assert server.api("GET", f"/api/tasks/{task_id}/diff") == before
