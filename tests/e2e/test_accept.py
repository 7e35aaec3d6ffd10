"""Accepting a task: rebase onto a moved main, conflicts, and a dirty user checkout."""

from __future__ import annotations

from pathlib import Path

import pygit2

from tests.gitrepo import branches, commit, file_on_branch, status, task_refs
from tests.server_process import ServerProcess, added_text


def run_to_review(server: ServerProcess, prompt: str) -> str:
    task = server.create(prompt)
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    return str(task["id"])


def test_accept_rebases_onto_commits_made_meanwhile(server: ServerProcess, repo: Path) -> None:
    task_id = run_to_review(server, "write feature.txt new feature")
    commit(repo, {"other.txt": "the user kept working\n"})

    server.act(task_id, "accept")
    done = server.wait_for(task_id, "done")

    assert file_on_branch(repo, "main", "feature.txt") == "new feature\n"
    assert file_on_branch(repo, "main", "other.txt") == "the user kept working\n"
    assert (repo / "feature.txt").read_text() == "new feature\n"
    assert status(repo) == {}, "the user's checkout is clean after the merge"
    assert branches(repo) == ["main"]
    diff = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert diff["files"] == ["feature.txt"], "the landed diff is the task's change only"
    assert done["conflict_files"] == []


def test_accept_commits_with_the_message_given_and_says_where_it_landed(
    server: ServerProcess, repo: Path
) -> None:
    task = server.create("write notes.txt some notes", title="## Write **the** notes.")
    assert task["commit_message"] == "Write the notes", "the proposal is plain text"
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    refused = server.request("POST", f"/api/tasks/{task['id']}/accept", json={"message": " "})
    assert refused.status_code == 422 and refused.json()["field"] == "message"

    server.act(task["id"], "accept", {"message": "Add the notes\n\nAs asked in the board."})
    done = server.wait_for(task["id"], "done")

    landed = pygit2.Repository(str(repo)).head.peel(pygit2.Commit)
    assert str(landed.id) == done["landed_commit"]
    assert landed.message == "Add the notes\n\nAs asked in the board."
    notes = [e["data"].get("message", "") for e in server.events(task["id"])]
    assert f"landed as {done['landed_commit'][:12]}: Add the notes" in notes


def test_a_rebase_conflict_goes_back_to_review_with_the_files(
    server: ServerProcess, repo: Path
) -> None:
    server.api("PUT", "/api/config", {"conflict_rounds": 0})  # the agent gets no rounds
    task_id = run_to_review(server, "write README.md agent version")
    main_before = commit(repo, {"README.md": "user version\n"})

    server.act(task_id, "accept")
    back = server.wait_for(task_id, "waiting")

    assert back["conflict_files"] == ["README.md"]
    assert "conflict" in back["error"] and "README.md" in back["error"]
    # Everything is as it was: main untouched, the agent's work still under review.
    assert file_on_branch(repo, "main", "README.md") == "user version\n"
    assert str(pygit2.Repository(str(repo)).head.target) == main_before
    diff = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert diff["files"] == ["README.md"] and "agent version" in added_text(diff)
    assert task_refs(repo) != []
    # The log says why, for the person reviewing.
    assert any(
        e["type"] == "error" and e["data"]["files"] == ["README.md"] for e in server.events(task_id)
    )


def test_a_dirty_checkout_in_touched_files_is_never_overwritten(
    server: ServerProcess, repo: Path
) -> None:
    task_id = run_to_review(server, "write README.md agent text")
    (repo / "README.md").write_text("my unsaved edit\n")

    server.act(task_id, "accept")
    back = server.wait_for(task_id, "waiting")

    assert back["conflict_files"] == ["README.md"]
    assert "uncommitted changes" in back["error"]
    assert (repo / "README.md").read_text() == "my unsaved edit\n"
    assert file_on_branch(repo, "main", "README.md") == "# demo\n"

    # Once the user has put their edit away, the same accept lands.
    (repo / "README.md").write_text("# demo\n")
    server.act(task_id, "accept")
    assert server.wait_for(task_id, "done")["status"] == "done"


def test_a_dirty_checkout_in_other_files_is_kept_and_the_merge_lands(
    server: ServerProcess, repo: Path
) -> None:
    task_id = run_to_review(server, "write added.txt from agent")
    (repo / "README.md").write_text("my unsaved edit\n")
    (repo / "notes.txt").write_text("untracked notes\n")

    server.act(task_id, "accept")
    server.wait_for(task_id, "done")

    assert (repo / "added.txt").read_text() == "from agent\n"
    assert (repo / "README.md").read_text() == "my unsaved edit\n"
    assert (repo / "notes.txt").read_text() == "untracked notes\n"


def test_deleting_a_file_lands_as_a_deletion(server: ServerProcess, repo: Path) -> None:
    commit(repo, {"old.txt": "obsolete\n"})
    task_id = run_to_review(server, "delete old.txt")
    server.act(task_id, "accept")
    server.wait_for(task_id, "done")
    assert file_on_branch(repo, "main", "old.txt") is None
    assert not (repo / "old.txt").exists()
