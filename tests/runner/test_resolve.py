"""A conflict round's workspace on real repositories: the merge with markers, written
where the agent works, checked by accept, shown by the conflict view."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from runner import conflicts, merge, repos, resolve, workspaces
from runner.errors import MarkersLeft
from tests.gitrepo import commit, file_on_branch

TASK = "0123456789abcdef"
LINES = "".join(f"line {n}\n" for n in range(1, 21))


def conflicted(repo: Path, tmp_path: Path) -> tuple[workspaces.Workspace, str]:
    """A task that changed line 3 and deleted gone.txt, and a main that changed line 3
    otherwise, changed gone.txt and added other.txt meanwhile: the new main's head."""
    commit(repo, {"a.txt": LINES, "gone.txt": "old\n"})
    ws = workspaces.create(repos.inspect_repo(repo), TASK, tmp_path / "ws", "main")
    (ws.path / "a.txt").write_text(LINES.replace("line 3\n", "task three\n"))
    (ws.path / "gone.txt").unlink()
    (ws.path / "new.txt").write_text("task's file\n")
    head = commit(
        repo,
        {
            "a.txt": LINES.replace("line 3\n", "main three\n"),
            "gone.txt": "changed\n",
            "other.txt": "main's file\n",
        },
        "Rework the lines",
    )
    return ws, head


def test_the_workspace_becomes_main_with_the_change_and_markers(repo: Path, tmp_path: Path) -> None:
    ws, head = conflicted(repo, tmp_path)
    change = resolve.save_change(repo, ws)

    prepared = resolve.prepare(repo, ws, TASK, "main", change)

    assert prepared.base == head and prepared.subject == "Rework the lines"
    assert prepared.files == ["a.txt", "gone.txt"]
    text = (ws.path / "a.txt").read_text()
    marked = f"<<<<<<< main ({head[:12]})\nmain three\n=======\ntask three\n>>>>>>> your change\n"
    assert marked in text
    assert not (ws.path / "gone.txt").exists(), "the task's side of a deletion stays"
    assert (ws.path / "other.txt").read_text() == "main's file\n"
    assert (ws.path / "new.txt").read_text() == "task's file\n"
    # Inside, git is at main's head; the task's branch and base ref follow it.
    git = ws.path / ".git"
    assert (git / "refs" / "heads" / "task" / "01234567").read_text().strip() == head
    user = pygit2.Repository(str(repo))
    assert str(user.branches.local["task/01234567"].target) == head
    # Prepared again (a crash cut the first off), the workspace comes out the same.
    (ws.path / "other.txt").unlink()
    assert resolve.prepare(repo, ws, TASK, "main", change) == prepared
    assert (ws.path / "a.txt").read_text() == text and (ws.path / "other.txt").exists()


def test_accept_refuses_markers_left_and_lands_once_resolved(repo: Path, tmp_path: Path) -> None:
    ws, head = conflicted(repo, tmp_path)
    prepared = resolve.prepare(repo, ws, TASK, "main", resolve.save_change(repo, ws))
    ws = workspaces.existing(ws.path, repo / ".git", ws.branch, prepared.base)

    with pytest.raises(MarkersLeft) as left:
        merge.accept(repo, ws, "main", "Edit", marked=prepared.files)
    assert left.value.files == ["a.txt"] and "markers" in str(left.value)
    assert str(pygit2.Repository(str(repo)).head.target) == head, "nothing landed"
    found = conflicts.conflicts(ws, repo, "main", prepared.files)
    assert [f.path for f in found] == ["a.txt"], "the marked file shows from the workspace"
    rows = [(r.kind, r.text) for r in found[0].hunks[0] if r.kind != " "]
    assert rows == [("branch", "main three"), ("task", "task three")]

    (ws.path / "a.txt").write_text(LINES.replace("line 3\n", "both threes\n"))
    merged = merge.accept(repo, ws, "main", "Edit", marked=prepared.files)

    assert merged.base == head and merged.files == ["a.txt", "gone.txt", "new.txt"]
    assert file_on_branch(repo, "main", "a.txt") == LINES.replace("line 3\n", "both threes\n")
    assert file_on_branch(repo, "main", "other.txt") == "main's file\n"
    assert file_on_branch(repo, "main", "gone.txt") is None


def test_a_heading_underline_is_no_marker(repo: Path, tmp_path: Path) -> None:
    ws = workspaces.create(repos.inspect_repo(repo), TASK, tmp_path / "ws", "main")
    (ws.path / "README.md").write_text("Title\n=======\n")
    host, tree = workspaces.snapshot(ws)
    assert conflicts.still_marked(host, host[tree].peel(pygit2.Tree), ["README.md", "no"]) == []
