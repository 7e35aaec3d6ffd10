"""Repositories and per-task git worktrees, through pygit2 (no git CLI at runtime).

Each task works on branch ``task/<first 8 of id>`` in its own linked worktree,
so agents never touch the user's checkout and several can run at once.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import DiffOption

from runner.errors import NotARepository, RunnerError

_DIFF_FLAGS = (
    DiffOption.INCLUDE_UNTRACKED
    | DiffOption.RECURSE_UNTRACKED_DIRS
    | DiffOption.SHOW_UNTRACKED_CONTENT
)


@dataclass(frozen=True)
class RepoInfo:
    path: Path  # the checkout's top directory
    name: str
    git_dir: Path  # the common .git directory every worktree points into
    default_branch: str
    checked_out: str  # the branch the user's checkout is on ("" when detached)


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base_commit: str


@dataclass(frozen=True)
class Diff:
    patch: str
    files: list[str]


def open_repo(path: str | Path) -> pygit2.Repository:
    try:
        repo = pygit2.Repository(str(path))
    except (pygit2.GitError, KeyError) as exc:
        raise NotARepository(f"{path} is not a git repository") from exc
    if repo.is_bare or repo.workdir is None:
        raise NotARepository(f"{path} is a bare repository; give a checkout")
    return repo


def inspect_repo(path: str | Path) -> RepoInfo:
    """Validate a user-given path and describe the repository it is in."""
    try:
        resolved = Path(path).expanduser().resolve()
        is_dir = resolved.is_dir()
    except (OSError, ValueError) as exc:  # e.g. an embedded NUL byte
        raise NotARepository(f"{path!r} is not a usable path") from exc
    if not is_dir:
        raise NotARepository(f"{path} is not a directory")
    repo = open_repo(resolved)
    top = Path(repo.workdir).resolve()
    if top != resolved:
        raise NotARepository(f"{path} is inside a repository; give its top directory {top}")
    head = repo.references.get("HEAD")
    checked_out = (
        str(head.target).removeprefix("refs/heads/")
        if head is not None and head.type == pygit2.enums.ReferenceType.SYMBOLIC
        else ""
    )
    return RepoInfo(top, top.name, common_git_dir(repo), default_branch(repo), checked_out)


def common_git_dir(repo: pygit2.Repository) -> Path:
    """The shared .git directory, even when ``repo`` is itself a linked worktree."""
    git_dir = Path(repo.path)
    commondir = git_dir / "commondir"
    if commondir.is_file():
        return (git_dir / commondir.read_text().strip()).resolve()
    return git_dir.resolve()


def default_branch(repo: pygit2.Repository) -> str:
    """origin's HEAD when there is one, else the branch the user's checkout is on."""
    remote_head = repo.references.get("refs/remotes/origin/HEAD")
    if remote_head is not None and remote_head.type == pygit2.enums.ReferenceType.SYMBOLIC:
        target = str(remote_head.target)
        name = target.removeprefix("refs/remotes/origin/")
        if f"refs/heads/{name}" in repo.references:
            return name
    head = repo.references.get("HEAD")
    if head is not None and head.type == pygit2.enums.ReferenceType.SYMBOLIC:
        return str(head.target).removeprefix("refs/heads/")
    for name in ("main", "master"):
        if f"refs/heads/{name}" in repo.references:
            return name
    raise RunnerError("cannot tell the repository's default branch (detached HEAD)")


def branch_name(task_id: str) -> str:
    return f"task/{task_id[:8]}"


def _worktree_name(task_id: str) -> str:
    return f"wallfacer-{task_id[:8]}"


def create(repo_path: Path, task_id: str, dest: Path, base_branch: str) -> Worktree:
    """Create (or reuse, after a retry) the task's worktree and branch."""
    repo = open_repo(repo_path)
    branch = branch_name(task_id)
    ref = repo.branches.local.get(branch)
    if ref is None:
        base = repo.branches.local.get(base_branch)
        if base is None:
            raise RunnerError(f"branch {base_branch!r} does not exist in {repo_path}")
        ref = repo.branches.local.create(branch, base.peel(pygit2.Commit))
    base_commit = str(ref.peel(pygit2.Commit).id)
    if not (dest / ".git").exists():
        _prune(repo, task_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        repo.add_worktree(_worktree_name(task_id), str(dest), ref)
    return Worktree(dest, branch, base_commit)


def remove(repo_path: Path, task_id: str, dest: Path) -> None:
    """Delete the worktree directory, its git metadata and its branch."""
    shutil.rmtree(dest, ignore_errors=True)
    try:
        repo = open_repo(repo_path)
    except NotARepository:
        return
    _prune(repo, task_id)
    branch = repo.branches.local.get(branch_name(task_id))
    if branch is not None:
        branch.delete()


def _prune(repo: pygit2.Repository, task_id: str) -> None:
    name = _worktree_name(task_id)
    if name in repo.list_worktrees():
        repo.lookup_worktree(name).prune(True)


def diff_worktree(worktree: Path, base_commit: str) -> Diff:
    """What the user reviews: base vs the worktree as it is, untracked files included."""
    repo = open_repo(worktree)
    base = repo.get(base_commit)
    if not isinstance(base, pygit2.Commit):
        raise RunnerError(f"base commit {base_commit} is missing")
    diff = base.tree.diff_to_workdir(_DIFF_FLAGS)
    return _render(diff)


def diff_commits(repo_path: Path, old: str, new: str) -> Diff:
    """The diff of a merged task, rebuilt from the commits it landed as."""
    repo = open_repo(repo_path)
    diff = repo.diff(old, new)
    return _render(diff)


def _render(diff: pygit2.Diff) -> Diff:
    files = [delta.new_file.path for delta in diff.deltas]
    return Diff(diff.patch or "", files)
