"""The user's repositories, as the host sees them, through pygit2 (no git CLI at runtime).

These repositories are trusted: they are the user's own and no container can
write them. Task copies live in ``workspaces``, which treats them as hostile.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pygit2

from runner import diffs
from runner.errors import NotARepository, RunnerError


@dataclass(frozen=True)
class RepoInfo:
    path: Path  # the checkout's top directory
    name: str
    git_dir: Path  # the common .git directory every worktree points into
    default_branch: str
    checked_out: str  # the branch the user's checkout is on ("" when detached)


@dataclass(frozen=True)
class Diff:
    files: list[str]
    changes: list[diffs.FileChange]


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


def drop_stale_lock(repo: pygit2.Repository, ref: str) -> None:
    """Remove the lock file a crash left on one of this app's own refs (a task's
    branch or base ref), where git would refuse that ref, and leave the lock in the
    user's repository, for good.

    Only this app writes those refs, and one instance at a time (the data dir's
    lock), so a lock found there is stale."""
    refs = common_git_dir(repo) / "refs"  # a linked worktree's refs live there too
    stale = refs.parent / f"{ref}.lock"
    if stale.resolve().is_relative_to(refs.resolve()):
        stale.unlink(missing_ok=True)


def branch_head(repo: pygit2.Repository, branch: str, where: str | Path) -> pygit2.Commit:
    """The commit a local branch points at; a branch gone is an error naming ``where``."""
    ref = repo.branches.local.get(branch)
    if ref is None:
        raise RunnerError(f"branch {branch!r} does not exist in {where}")
    return ref.peel(pygit2.Commit)


def subjects(path: Path, branch: str, count: int) -> list[str]:
    """The subjects of the branch's newest ``count`` commits, newest first: the
    repository's own style of commit message."""
    repo = open_repo(path)
    order = pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
    walker = repo.walk(branch_head(repo, branch, path).id, order)
    return [
        commit.message.splitlines()[0] if commit.message else ""
        for commit in itertools.islice(walker, count)
    ]


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


def diff_commits(
    repo_path: Path, old: str, new: str, max_bytes: int = diffs.MAX_FILE_BYTES
) -> Diff:
    """The diff of a merged task, rebuilt from the commits it landed as."""
    repo = open_repo(repo_path)
    return render(repo, repo.diff(old, new), max_bytes)


def render(repo: pygit2.Repository, diff: pygit2.Diff, max_bytes: int) -> Diff:
    """The files a diff names, and their changes read from ``repo``'s objects, each file
    past ``max_bytes`` unread."""
    files = [delta.new_file.path for delta in diff.deltas]
    return Diff(files, diffs.changes(diff, repo.odb, max_bytes))
