"""A task's workspace is a repository of its own, and the host reads it as hostile data."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pygit2
import pytest

from runner import blobs, merge, repos, workspaces
from runner.errors import WorkspaceRefused
from tests.gitrepo import commit, file_on_branch, make_repo

TASK = "0123456789abcdef"


def task_ws(repo: Path, tmp_path: Path) -> workspaces.Workspace:
    return workspaces.create(repos.inspect_repo(repo), TASK, tmp_path / "ws" / TASK, "main")


def test_git_works_in_the_workspace_through_the_users_objects(repo: Path, tmp_path: Path) -> None:
    ws = task_ws(repo, tmp_path)
    own = pygit2.Repository(str(ws.path))
    assert Path(own.path).resolve() == (ws.path / ".git").resolve(), "a .git dir of its own"
    assert str(own.head.target) == ws.base_commit
    assert own.head.shorthand == "task/01234567"
    assert own.status() == {}
    alternates = (ws.path / ".git" / "objects" / "info" / "alternates").read_text()
    assert alternates.strip() == str(repo / ".git" / "objects")
    assert not list((ws.path / ".git" / "objects").glob("??/*")), "no object was copied"


def test_a_gc_in_the_users_repo_keeps_the_base_alive(repo: Path, tmp_path: Path) -> None:
    ws = task_ws(repo, tmp_path)
    user = pygit2.Repository(str(repo))
    # The user rewrites main (an amend): the base is reachable from no branch of theirs.
    head = user.head.peel(pygit2.Commit)
    sig = pygit2.Signature("u", "u@example.com")
    amended = user.create_commit(None, sig, sig, "amended", head.tree_id, [])
    user.references["refs/heads/main"].set_target(amended)
    user.branches.local.delete(ws.branch)  # even with the task branch gone
    for args in (["reflog", "expire", "--expire=now", "--all"], ["gc", "-q", "--prune=now"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    own = pygit2.Repository(str(ws.path))
    assert str(own.head.peel(pygit2.Commit).id) == ws.base_commit
    assert own.status() == {}, "git in the workspace still finds every object"
    assert workspaces.diff(ws).files == []


def test_poisoned_git_metadata_in_the_workspace_is_never_read(repo: Path, tmp_path: Path) -> None:
    """F1 and F3 from inside the workspace: hooks, fsmonitor and a gitdir redirect."""
    other = make_repo(tmp_path / "other", {"o.txt": "other\n"})
    other_main = pygit2.Repository(str(other)).head.target
    ws = task_ws(repo, tmp_path)
    marker = tmp_path / "pwned"
    git = ws.path / ".git"
    (git / "config").write_text(f'[core]\n\tfsmonitor = "touch {marker}"\n')
    (git / "hooks" / "pre-commit").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (git / "objects" / "info" / "alternates").write_text("/etc\n")
    (ws.path / "task.txt").write_text("work\n")
    assert workspaces.diff(ws).files == ["task.txt"]
    # The .git dir swapped for a file redirecting to another repository:
    os.rename(git, ws.path / "old-git")
    (ws.path / ".git").write_text(f"gitdir: {other / '.git'}\n")
    merged = merge.accept(repo, ws, "main", "task")
    assert "task.txt" in merged.files
    assert file_on_branch(repo, "main", "task.txt") == "work\n"
    assert pygit2.Repository(str(other)).head.target == other_main, "the other repo is untouched"
    assert not marker.exists()


def test_links_stay_links_and_special_files_are_refused(repo: Path, tmp_path: Path) -> None:
    ws = task_ws(repo, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    (ws.path / "link").symlink_to(secret)
    (ws.path / "dirlink").symlink_to(tmp_path)
    diff = workspaces.diff(ws)
    assert diff.files == ["dirlink", "link"]
    texts = [line.text for c in diff.changes for h in c.hunks for line in h.lines]
    assert "host secret" not in texts
    assert str(secret) in texts, "the link's target is its content"
    os.mkfifo(ws.path / "pipe")
    with pytest.raises(WorkspaceRefused, match="pipe is a special file"):
        workspaces.diff(ws)


def test_a_gitignore_is_honoured_but_never_followed(repo: Path, tmp_path: Path) -> None:
    ws = task_ws(repo, tmp_path)
    (ws.path / ".gitignore").write_text("build/\n*.log\n")
    (ws.path / "build").mkdir()
    (ws.path / "build" / "out.bin").write_text("artefact\n")
    (ws.path / "a.log").write_text("log\n")
    (ws.path / "sub").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (ws.path / "sub" / ".gitignore").symlink_to(tmp_path / "fifo")  # would block a reader
    (ws.path / "sub" / "kept.txt").write_text("k\n")
    done = threading.Event()
    files: list[str] = []

    def read() -> None:
        files.extend(workspaces.diff(ws).files)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(10), "reading the workspace hung"
    assert files == [".gitignore", "sub/.gitignore", "sub/kept.txt"]


def test_nested_git_dirs_are_skipped_and_sizes_are_capped(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = task_ws(repo, tmp_path)
    (ws.path / "vendor" / ".git").mkdir(parents=True)
    (ws.path / "vendor" / ".git" / "config").write_text("[core]\n")
    (ws.path / "vendor" / "lib.py").write_text("x = 1\n")
    assert workspaces.diff(ws).files == ["vendor/lib.py"]
    monkeypatch.setattr(workspaces, "MAX_FILE_BYTES", 1000)
    (ws.path / "big.bin").write_bytes(b"x" * 1001)
    with pytest.raises(WorkspaceRefused, match=r"big\.bin is 1001 bytes"):
        workspaces.diff(ws)


def test_a_file_past_a_chunk_is_stored_a_chunk_at_a_time_and_lands_whole(
    tmp_path: Path,
) -> None:
    kept = "".join(f"kept {i}\n" for i in range(blobs.CHUNK // 4))  # about 2.5 chunks
    repo = make_repo(tmp_path / "p", {"kept.txt": kept})
    ws = task_ws(repo, tmp_path)
    made = "".join(f"made {i}\n" for i in range(blobs.CHUNK // 4))
    (ws.path / "made.txt").write_text(made)
    assert workspaces.diff(ws).files == ["made.txt"], "the unchanged large file is known"
    merge.accept(repo, ws, "main", "a large file")
    assert file_on_branch(repo, "main", "made.txt") == made
    assert file_on_branch(repo, "main", "kept.txt") == kept


def test_files_the_agent_committed_are_taken_from_the_files(repo: Path, tmp_path: Path) -> None:
    """The agent's own commits are metadata the host ignores; the files are the truth."""
    ws = task_ws(repo, tmp_path)
    own = pygit2.Repository(str(ws.path))
    (ws.path / "c.txt").write_text("committed\n")
    own.index.add("c.txt")
    own.index.write()
    sig = pygit2.Signature("agent", "a@b")
    own.create_commit("HEAD", sig, sig, "agent commit", own.index.write_tree(), [own.head.target])
    commit(repo, {"m.txt": "main\n"})
    merge.accept(repo, ws, "main", "Task title")
    main = pygit2.Repository(str(repo)).head.peel(pygit2.Commit)
    assert main.message == "Task title"
    assert file_on_branch(repo, "main", "c.txt") == "committed\n"


def test_an_ignore_rule_built_to_hang_the_matcher_is_dropped(repo: Path, tmp_path: Path) -> None:
    """Many stars take libgit2's matcher exponential time, holding the GIL."""
    ws = task_ws(repo, tmp_path)
    (ws.path / ".gitignore").write_text("*a*a*a*a*a*a*a*a*b\n*.log\n")
    (ws.path / ("a" * 100 + "0")).write_text("x\n")
    (ws.path / "debug.log").write_text("x\n")
    files: list[str] = []
    done = threading.Event()

    def read() -> None:
        files.extend(workspaces.diff(ws).files)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(10), "an ignore rule hung the host"
    assert files == [".gitignore", "a" * 100 + "0"], "the dropped rule's files are shown"


def test_deep_nesting_and_names_git_cannot_hold_are_refused(repo: Path, tmp_path: Path) -> None:
    ws = task_ws(repo, tmp_path)
    deep = ws.path / "d"
    deep.mkdir()
    path = deep
    for _ in range(workspaces.MAX_DEPTH + 5):
        path = path / "d"
        path.mkdir()
    with pytest.raises(WorkspaceRefused, match="deeper than"):
        workspaces.diff(ws)
    workspaces.remove(repo, TASK, ws.root)
    assert not ws.root.exists()
    ws = task_ws(repo, tmp_path)
    os.close(os.open(bytes(ws.path) + b"/bad-\xff-name", os.O_CREAT | os.O_WRONLY))
    with pytest.raises(WorkspaceRefused, match="file name git refuses"):
        workspaces.diff(ws)


def test_a_repository_named_like_the_host_folders_is_still_apart(tmp_path: Path) -> None:
    for name in ("ignores", "host.git"):
        repo = make_repo(tmp_path / name)
        ws = workspaces.create(repos.inspect_repo(repo), TASK, tmp_path / "ws" / name, "main")
        (ws.path / "new.txt").write_text("n\n")
        assert workspaces.diff(ws).files == ["new.txt"]
        assert (ws.path / "README.md").exists(), "the workspace survived the diff"
        assert ws.path.parent != ws.root


def test_a_crash_mid_snapshot_leaves_the_workspace_readable(repo: Path, tmp_path: Path) -> None:
    """kill -9 between a snapshot's removal of the ignore copies and their remaking."""
    ws = task_ws(repo, tmp_path)
    (ws.path / "a.txt").write_text("a\n")
    shutil.rmtree(ws.root / "ignores")
    assert workspaces.diff(ws).files == ["a.txt"]
    assert merge.accept(repo, ws, "main", "a").files == ["a.txt"]


@pytest.mark.parametrize("ref", ["refs/wallfacer/base/01234567", "refs/heads/task/01234567"])
def test_a_removal_a_crash_cut_off_is_finished_and_leaves_no_lock(
    repo: Path, tmp_path: Path, ref: str
) -> None:
    """kill -9 inside git's delete of a ref: the ref's file gone, its lock file left."""
    ws = task_ws(repo, tmp_path)
    loose = repo / ".git" / ref
    loose.rename(loose.with_name(loose.name + ".lock"))
    workspaces.remove(repo, TASK, ws.root)
    assert not list((repo / ".git").rglob("*.lock"))
    assert not [r for r in pygit2.Repository(str(repo)).references if "01234567" in r]
