"""Sync on the real engine: a waiting or failed task moves onto the default branch's
head without landing anything; cards count how far behind they are."""

from __future__ import annotations

from pathlib import Path

import pygit2

from tests.gitrepo import commit, file_on_branch
from tests.server_process import ServerProcess, added_text


def run(server: ServerProcess, prompt: str, until: str = "waiting") -> str:
    task = server.create(prompt)
    server.act(task["id"], "start")
    server.wait_for(task["id"], until)
    return str(task["id"])


def in_workspace(server: ServerProcess, task_id: str, name: str) -> Path:
    (found,) = (server.data_dir / "workspaces" / task_id).glob(f"work/*/{name}")
    return found


def head(repo: Path) -> str:
    return str(pygit2.Repository(str(repo)).head.target)


def test_sync_rebases_the_change_onto_main_without_merging(
    server: ServerProcess, repo: Path
) -> None:
    task_id = run(server, "write feature.txt new feature\nappend README.md agent line")
    before = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert server.task(task_id)["behind"] == 0
    commit(repo, {"other.txt": "the user kept working\n"})
    main = commit(repo, {"docs/notes.txt": "more\n"}, "another")
    listed = server.api("GET", "/api/tasks?status=waiting")["tasks"]
    assert [t["behind"] for t in listed] == [2]
    assert "sync" in listed[0]["actions"]

    synced = server.act(task_id, "sync", status=200)

    assert synced["behind"] == 0 and synced["status"] == "waiting"
    assert head(repo) == main, "nothing landed on main"
    assert file_on_branch(repo, "main", "feature.txt") is None
    after = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert after["files"] == before["files"] == ["README.md", "feature.txt"]
    assert added_text(after) == added_text(before), "the task's change is unchanged"
    assert in_workspace(server, task_id, "other.txt").read_text() == "the user kept working\n"
    assert in_workspace(server, task_id, "docs/notes.txt").read_text() == "more\n"
    # Inside, git has the new base, its index main's files: the change shows as the
    # agent's own. (Read as files: the workspace belongs to the sandbox's user.)
    git = in_workspace(server, task_id, ".git")
    branch = (git / "HEAD").read_text().removeprefix("ref: ").strip()
    assert (git / branch).read_text().strip() == main
    assert git.stat().st_uid == git.parent.stat().st_uid
    main_tree = pygit2.Repository(str(repo)).head.peel(pygit2.Commit).tree
    index = {entry.path: entry.id for entry in pygit2.Index(str(git / "index"))}
    assert index == {path: main_tree[path].id for path in index}
    assert sorted(index) == ["README.md", "docs/notes.txt", "other.txt"]
    notes = [e["data"].get("message", "") for e in server.events(task_id)]
    assert any(n.startswith("synced onto main at ") and "2 new commits" in n for n in notes)

    # Accept still lands only the task's own change on top of the user's commits.
    server.act(task_id, "accept")
    server.wait_for(task_id, "done")
    assert file_on_branch(repo, "main", "feature.txt") == "new feature\n"
    assert file_on_branch(repo, "main", "other.txt") == "the user kept working\n"
    landed = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert landed["files"] == ["README.md", "feature.txt"]


def test_a_conflicting_sync_is_a_409_naming_the_files_and_moves_nothing(
    server: ServerProcess, repo: Path
) -> None:
    task_id = run(server, "write README.md agent version\nfail", until="failed")
    before = server.api("GET", f"/api/tasks/{task_id}/diff")
    main = commit(repo, {"README.md": "user version\n"})

    response = server.request("POST", f"/api/tasks/{task_id}/sync")

    assert response.status_code == 409, response.text
    assert response.json()["files"] == ["README.md"]
    assert "README.md" in response.json()["error"]
    task = server.task(task_id)
    assert task["status"] == "failed" and task["behind"] == 1, "the base did not move"
    assert head(repo) == main and file_on_branch(repo, "main", "README.md") == "user version\n"
    assert server.api("GET", f"/api/tasks/{task_id}/diff") == before
    assert in_workspace(server, task_id, "README.md").read_text() == "agent version\n"


def test_only_a_waiting_or_failed_task_can_be_synced(server: ServerProcess) -> None:
    task = server.create("say hello")
    assert "sync" not in task["actions"] and "behind" not in task
    refused = server.request("POST", f"/api/tasks/{task['id']}/sync")
    assert refused.status_code == 409 and "backlog" in refused.json()["error"]
