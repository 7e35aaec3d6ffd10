"""Ready workspaces: a task takes one at its base, and a recycled one keeps nothing of
the task before."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pygit2
import pytest

from runner import repos, workspaces
from runner.pool import BRANCH, Pool
from tests.gitrepo import commit, commit_all, make_repo

# Who the container runs as: another user when the host is root, as task containers do.
OWNER = (1000, 1000) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
FILES = {
    "README.md": "# demo\n",
    "src/app.py": "print('hi')\n",
    "src/deep/util.py": "x = 1\n",
    "run.sh": "#!/bin/sh\necho run\n",
    ".gitignore": "*.log\nbuild/\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "project", FILES)
    os.chmod(path / "run.sh", 0o755)
    (path / "link").symlink_to("README.md")
    commit_all(path, "exec bit and a link")
    return path


def start(pool: Pool, project: Path, root: Path, task: str) -> workspaces.Workspace:
    info = repos.inspect_repo(project)
    return workspaces.create(info, task, root / task, "main", OWNER, take=pool.take)


def git(path: Path, *args: str) -> str:
    command = ["git", "-c", "safe.directory=*", *args]  # the workspace is the agent's user's
    done = subprocess.run(command, cwd=path, check=True, capture_output=True, text=True)
    return done.stdout


def assert_fresh(ws: workspaces.Workspace, reference: workspaces.Workspace) -> None:
    """As clean as a checkout of every file, seen by git itself."""
    assert git(ws.path, "status", "--porcelain", "--ignored", "--untracked-files=all") == ""
    assert git(ws.path, "rev-parse", "HEAD").strip() == ws.base_commit
    assert git(ws.path, "branch", "--format=%(refname:short)").split() == [ws.branch]
    for name in ("config", "HEAD"):
        fresh = (reference.path / ".git" / name).read_text()
        assert (ws.path / ".git" / name).read_text() == fresh.replace(reference.branch, ws.branch)
    assert sorted(os.listdir(ws.path / ".git" / "hooks")) == ["README.sample"]
    assert (
        git(ws.path, "config", "--local", "--list").splitlines()
        == git(reference.path, "config", "--local", "--list").splitlines()
    )
    for path in sorted(ws.path.rglob("*")):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            assert info.st_nlink == 1, path
            assert stat.S_IMODE(info.st_mode) in (0o644, 0o755), path


def test_a_task_takes_a_ready_entry_and_only_changed_files_are_written(
    project: Path, tmp_path: Path
) -> None:
    pool = Pool(tmp_path / "pool")
    info = repos.inspect_repo(project)
    pool.fill(info, OWNER)
    (entry,) = pool.ready(info.git_dir / "objects")
    untouched = (entry / "src" / "deep" / "util.py").stat().st_ino
    new_head = commit(project, {"src/app.py": "print('changed')\n", "docs/new.md": "new\n"})
    pygit2.Repository(str(project)).index.remove("README.md")
    (project / "README.md").unlink()
    new_head = commit_all(project, "drop the readme")

    ws = start(pool, project, tmp_path / "ws", "0123456789abcdef")

    assert ws.base_commit == new_head
    assert pool.ready(info.git_dir / "objects") == [], "taken, not copied"
    assert (ws.path / "src" / "app.py").read_text() == "print('changed')\n"
    assert (ws.path / "docs" / "new.md").read_text() == "new\n"
    assert not (ws.path / "README.md").exists()
    assert (ws.path / "src" / "deep" / "util.py").stat().st_ino == untouched, "left alone"
    reference = workspaces.create(info, "fedcba9876543210", tmp_path / "ref", "main", OWNER)
    assert_fresh(ws, reference)
    assert BRANCH not in git(ws.path, "branch", "--all")


def test_an_empty_pool_falls_back_to_a_checkout(project: Path, tmp_path: Path) -> None:
    ws = start(Pool(tmp_path / "pool"), project, tmp_path / "ws", "0123456789abcdef")
    assert (ws.path / "src" / "app.py").read_text() == "print('hi')\n"
    assert git(ws.path, "status", "--porcelain") == ""


def leave_traces(path: Path, outside: Path) -> None:
    """What an agent may leave behind, as the host sees it (the container test does it
    from inside)."""
    (path / "untracked.txt").write_text("secret of the last task\n")
    (path / "debug.log").write_text("ignored\n")
    (path / "build").mkdir()
    (path / "build" / "out.bin").write_text("ignored too\n")
    (path / "staged.txt").write_text("staged\n")
    git(path, "add", "staged.txt")
    git(path, "config", "core.hooksPath", str(outside))
    git(path, "config", "alias.st", "!touch /tmp/pwned")
    git(path, "config", "core.fsmonitor", "touch /tmp/pwned")
    hook = path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\ntouch /tmp/pwned\n")
    hook.chmod(0o755)
    (path / "out").symlink_to(outside)
    (path / "src" / "app.py").write_text("changed by the agent\n")
    os.chmod(path / "src" / "deep" / "util.py", 0o4755)  # setuid
    os.unlink(path / "README.md")
    os.link(path / "run.sh", path / "hard")  # two names: both go
    (path / "link").unlink()
    (path / "link").write_text("a file where a link was\n")
    (path / "locked").mkdir()
    (path / "locked" / "inside").write_text("x\n")
    os.chmod(path / "locked", 0)
    (path / "src" / "deep").chmod(0o777)
    os.mkfifo(path / "pipe")
    os.setxattr(path / "run.sh", "user.note", b"left behind")


def test_a_recycled_workspace_keeps_nothing_of_the_task_before(
    project: Path, tmp_path: Path
) -> None:
    pool = Pool(tmp_path / "pool")
    info = repos.inspect_repo(project)
    objects = info.git_dir / "objects"
    first = start(pool, project, tmp_path / "ws", "0123456789abcdef")
    outside = tmp_path / "outside"
    outside.mkdir()
    leave_traces(first.path, outside)
    head = commit(project, {"src/app.py": "print('moved on')\n"})

    pool.give_back(first.path, objects, "0123456789abcdef")
    ((entry, task),) = pool.used(objects)
    assert task == "0123456789abcdef"
    assert pool.recycle(entry, info, OWNER, lambda: None)

    second = start(pool, project, tmp_path / "ws", "1111111111111111")
    assert second.base_commit == head
    assert pool.ready(objects) == [] and pool.used(objects) == []
    reference = workspaces.create(info, "fedcba9876543210", tmp_path / "ref", "main", OWNER)
    assert_fresh(second, reference)
    assert (second.path / "src" / "app.py").read_text() == "print('moved on')\n"
    assert os.readlink(second.path / "link") == "README.md"
    assert os.listxattr(second.path / "run.sh") == []
    assert os.listdir(outside) == [], "nothing was followed out"
    assert not Path("/tmp/pwned").exists()


def test_an_entry_that_cannot_be_cleaned_is_deleted(project: Path, tmp_path: Path) -> None:
    pool = Pool(tmp_path / "pool")
    info = repos.inspect_repo(project)
    objects = info.git_dir / "objects"
    ws = start(pool, project, tmp_path / "ws", "0123456789abcdef")
    pool.give_back(ws.path, objects, "0123456789abcdef")
    ((entry, _task),) = pool.used(objects)
    gone = repos.RepoInfo(info.path, info.name, info.git_dir, "no-such-branch", "main")
    assert not pool.recycle(entry, gone, OWNER, lambda: None)
    assert not entry.exists() and os.listdir(pool.folder(objects)) == []


def test_trim_and_prune_leave_only_what_is_wanted(project: Path, tmp_path: Path) -> None:
    pool = Pool(tmp_path / "pool")
    info = repos.inspect_repo(project)
    objects = info.git_dir / "objects"
    for _ in range(3):
        pool.fill(info, OWNER)
    pool.trim(objects, 1)
    assert len(pool.ready(objects)) == 1
    folder = pool.folder(objects)
    (folder / "ready-cut-short.new").mkdir()
    (folder / "ready-half-deleted.gone").mkdir()
    (tmp_path / "pool" / "0000unregistered").mkdir()
    pool.prune([objects])
    assert os.listdir(tmp_path / "pool") == [folder.name]
    assert [p.name for p in folder.iterdir()] == [pool.ready(objects)[0].name]
    pool.trim(objects, 0)
    assert os.listdir(folder) == []
