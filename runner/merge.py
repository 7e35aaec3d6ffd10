"""The accept pipeline: commit on the host, rebase onto the default branch, fast-forward.

Everything runs under a per-repository lock, so two accepts on one repo never
race. The rebase happens in memory: on a conflict nothing on disk has moved,
and the task's own commit is undone so the worktree looks as it did before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, FileStatus

from runner.errors import BranchMoved, DirtyCheckout, MergeConflict
from runner.worktrees import open_repo

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()
_FALLBACK_NAME = "Wallfacer"
_FALLBACK_EMAIL = "wallfacer@localhost"


@dataclass(frozen=True)
class Merged:
    """Where the task landed: ``git diff base head`` shows exactly its change."""

    base: str
    head: str
    files: list[str]


def repo_lock(repo_path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(repo_path.resolve(), threading.Lock())


def signature(repo: pygit2.Repository) -> pygit2.Signature:
    """The user's own git identity when configured, so commits are theirs."""
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        return pygit2.Signature(_FALLBACK_NAME, _FALLBACK_EMAIL)


def accept(
    repo_path: Path,
    worktree: Path,
    branch: str,
    base_branch: str,
    message: str,
    on_ready: Callable[[Merged], None] = lambda _merged: None,
) -> Merged:
    """Land the worktree's changes on ``base_branch``.

    ``on_ready`` is told the final commits just before the branch moves, so a
    crash between the two can later be checked with ``landed``.
    """
    with repo_lock(repo_path):
        wt = open_repo(worktree)
        before = wt.head.peel(pygit2.Commit)
        committed = commit_all(wt, message)
        try:
            return _rebase_and_fast_forward(open_repo(repo_path), branch, base_branch, on_ready)
        except Exception:
            if committed:
                _undo_commit(wt, branch, before)
            raise


def commit_all(repo: pygit2.Repository, message: str) -> bool:
    """Stage every change (new, modified, deleted) and commit it; False if nothing changed."""
    index = repo.index
    index.add_all()
    index.write()
    tree = index.write_tree()
    parent = repo.head.peel(pygit2.Commit)
    if tree == parent.tree_id:
        return False
    sig = signature(repo)
    repo.create_commit("HEAD", sig, sig, message, tree, [parent.id])
    return True


def _undo_commit(wt: pygit2.Repository, branch: str, before: pygit2.Commit) -> None:
    """Move the branch back; the files stay in the worktree as uncommitted changes."""
    wt.references[f"refs/heads/{branch}"].set_target(before.id)
    wt.index.read_tree(before.tree)
    wt.index.write()


def landed(repo_path: Path, base_branch: str, head: str) -> bool:
    """Whether ``head`` is on ``base_branch`` (used after an interrupted accept)."""
    repo = open_repo(repo_path)
    ref = repo.references.get(f"refs/heads/{base_branch}")
    if ref is None or head not in repo:
        return False
    tip = ref.peel(pygit2.Commit).id
    return str(tip) == head or repo.descendant_of(tip, pygit2.Oid(hex=head))


def _rebase_and_fast_forward(
    repo: pygit2.Repository,
    branch: str,
    base_branch: str,
    on_ready: Callable[[Merged], None],
) -> Merged:
    base_ref = repo.references[f"refs/heads/{base_branch}"]
    upstream = base_ref.peel(pygit2.Commit)
    head = repo.references[f"refs/heads/{branch}"].peel(pygit2.Commit)
    if head.id != upstream.id and not repo.descendant_of(head.id, upstream.id):
        new_head = _rebase(repo, head, upstream)
    else:
        new_head = head.id
    new_commit = repo[new_head].peel(pygit2.Commit)
    deltas = repo.diff(upstream, new_commit).deltas
    files = sorted({path for d in deltas for path in (d.old_file.path, d.new_file.path)})
    if repo.references[f"refs/heads/{base_branch}"].target != upstream.id:
        raise BranchMoved(f"{base_branch} moved during the merge; accept again")
    moved_files = _update_user_checkout(repo, base_branch, new_commit, files)
    merged = Merged(str(upstream.id), str(new_head), files)
    try:
        on_ready(merged)
        base_ref.set_target(new_head)
    except BaseException:
        if moved_files:  # they were clean before: put them back as HEAD has them
            repo.checkout_tree(  # type: ignore[no-untyped-call]
                upstream.tree, strategy=CheckoutStrategy.FORCE, paths=files
            )
        raise
    # Only now, with the default branch moved, does the task branch follow: a
    # failure earlier leaves it exactly as the review showed it.
    repo.references[f"refs/heads/{branch}"].set_target(new_head)
    return merged


def _rebase(repo: pygit2.Repository, head: pygit2.Commit, upstream: pygit2.Commit) -> pygit2.Oid:
    sig = signature(repo)
    rebase = repo.rebase_init(branch=head.id, upstream=upstream.id, inmemory=True)
    tip = upstream.id
    try:
        for _op in rebase:
            index = rebase.inmemory_index
            if index is not None and index.conflicts is not None:
                files = {
                    entry.path
                    for triple in index.conflicts
                    for entry in triple
                    if entry is not None
                }
                raise MergeConflict(sorted(files))
            oid = rebase.commit(committer=sig)
            if oid is not None:
                tip = oid
        rebase.finish(sig)
    except BaseException:
        rebase.abort()
        raise
    return tip


def _update_user_checkout(
    repo: pygit2.Repository,
    base_branch: str,
    new: pygit2.Commit,
    files: list[str],
) -> bool:
    """Bring the user's working tree along when it has the default branch checked out.

    Uncommitted user changes are never overwritten, ignored files (local
    settings, secrets) included: if any is in a file the merge changes,
    nothing moves and the user is told which files. The checkout runs before
    the branch moves, so its baseline is the old HEAD. Returns whether it
    touched the working tree.
    """
    if repo.head_is_unborn or repo.head_is_detached:
        return False
    if repo.head.name != f"refs/heads/{base_branch}" or not files:
        return False
    wanted = set(files)
    dirty = [
        path
        for path, flags in repo.status(ignored=True).items()
        if path in wanted and flags != FileStatus.CURRENT
    ]
    if dirty:
        raise DirtyCheckout(dirty)
    try:
        repo.checkout_tree(  # type: ignore[no-untyped-call]
            new.tree,
            strategy=CheckoutStrategy.SAFE | CheckoutStrategy.DONT_OVERWRITE_IGNORED,
            paths=files,
        )
    except pygit2.GitError as exc:
        raise DirtyCheckout(files) from exc
    return True
