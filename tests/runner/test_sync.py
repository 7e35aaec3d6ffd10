"""Sync writes into a workspace the agent had: never through its links, never reading its git."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2
import pytest

from runner import repos, sync, trees, workspaces
from runner.errors import WorkspaceRefused
from tests.gitrepo import commit, file_on_branch, make_repo

TASK = "0123456789abcdef"


def task_ws(repo: Path, tmp_path: Path) -> workspaces.Workspace:
    return workspaces.create(repos.inspect_repo(repo), TASK, tmp_path / "ws" / TASK, "main")


def synced(repo: Path, ws: workspaces.Workspace) -> sync.Synced:
    return sync.sync(repo, ws, TASK, "main")


# Links the agent left at ignored paths are not part of its change: only there can a
# sync meet them (a link in the change itself meets main's files in the rebase).
IGNORING = {"README.md": "# demo\n", ".gitignore": "docs\nlater.txt\n"}


def test_a_link_where_a_folder_goes_is_refused_and_leads_nowhere(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", IGNORING)
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = task_ws(repo, tmp_path)
    os.symlink(outside, ws.path / "docs")
    commit(repo, {"docs/guide.md": "guide\n"})
    with pytest.raises(WorkspaceRefused, match=r"docs/guide\.md"):
        synced(repo, ws)
    assert list(outside.iterdir()) == []


def test_a_link_in_a_files_place_is_replaced_not_followed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", IGNORING)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    ws = task_ws(repo, tmp_path)
    os.symlink(victim, ws.path / "later.txt")
    commit(repo, {"later.txt": "from main\n"})

    synced(repo, ws)

    assert victim.read_text() == "mine\n"
    assert not (ws.path / "later.txt").is_symlink()
    assert (ws.path / "later.txt").read_text() == "from main\n"


def test_a_poisoned_git_dir_is_replaced_unread(repo: Path, tmp_path: Path) -> None:
    ws = task_ws(repo, tmp_path)
    marker = tmp_path / "pwned"
    (ws.path / ".git" / "config").write_text(f'[core]\n\tfsmonitor = "touch {marker}"\n')
    (ws.path / "new.txt").write_text("the agent's\n")
    main = commit(repo, {"other.txt": "main's\n"})

    done = synced(repo, ws)

    assert done.base == main and done.behind == 1 and done.files == ["other.txt"]
    assert (ws.path / "other.txt").read_text() == "main's\n"
    own = pygit2.Repository(str(ws.path))
    assert str(own.head.target) == main
    assert own.status() == {"new.txt": pygit2.enums.FileStatus.WT_NEW}
    assert not marker.exists()
    again = workspaces.existing(ws.path, ws.objects.parent, ws.branch, done.base)
    assert synced(repo, again) == sync.Synced(main, 0, []), "already there: nothing to do"


def test_a_file_becomes_a_folder_and_deletions_follow(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", {"a": "file\n", "gone.txt": "x\n", "keep.txt": "k\n"})
    ws = task_ws(repo, tmp_path)
    (ws.path / "keep.txt").write_text("the agent's\n")
    user = pygit2.Repository(str(repo))
    user.index.remove("a")
    user.index.remove("gone.txt")
    (repo / "a").unlink()
    (repo / "gone.txt").unlink()
    user.index.write()
    commit(repo, {"a/inside.txt": "now a folder\n"})

    done = synced(repo, ws)

    assert done.files == ["a", "a/inside.txt", "gone.txt"]
    assert (ws.path / "a" / "inside.txt").read_text() == "now a folder\n"
    assert not (ws.path / "gone.txt").exists()
    assert (ws.path / "keep.txt").read_text() == "the agent's\n"
    moved = workspaces.existing(ws.path, ws.objects.parent, ws.branch, done.base)
    assert workspaces.diff(moved).files == ["keep.txt"]


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_git_that_is_a_link_or_a_file_is_replaced_not_followed(
    repo: Path, tmp_path: Path, kind: str
) -> None:
    elsewhere = make_repo(tmp_path / "elsewhere", {"x.txt": "x\n"})
    ws = task_ws(repo, tmp_path)
    trees.remove(ws.path / ".git")
    if kind == "link":
        os.symlink(elsewhere / ".git", ws.path / ".git")
    else:
        (ws.path / ".git").write_text(f"gitdir: {elsewhere / '.git'}\n")
    main = commit(repo, {"other.txt": "main's\n"})

    synced(repo, ws)

    assert (ws.path / ".git").is_dir() and not (ws.path / ".git").is_symlink()
    assert str(pygit2.Repository(str(ws.path)).head.target) == main
    assert (elsewhere / ".git").is_dir() and file_on_branch(elsewhere, "main", "x.txt") == "x\n"
