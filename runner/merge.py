"""The accept pipeline: commit on the host, rebase onto the default branch, fast-forward.

Everything runs under a per-repository lock, so two accepts on one repo never
race. The commit is built by ``workspaces`` from the workspace's files; the
rebase happens in memory, so on a conflict nothing on disk has moved and the
task branch goes back to its base.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, FileStatus, RepositoryState

from runner import conflicts, workspaces
from runner.errors import (
    BranchMoved,
    DirtyCheckout,
    MarkersLeft,
    MergeConflict,
    NothingToMerge,
    OperationInProgress,
)
from runner.repos import drop_stale_lock, open_repo

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
    ws: workspaces.Workspace,
    base_branch: str,
    message: str,
    on_ready: Callable[[Merged], None] = lambda _merged: None,
    marked: Sequence[str] = (),
) -> Merged:
    """Land the workspace's files on ``base_branch``.

    The commit is built from the workspace's files in a git dir only the host
    sees, never from the workspace's own git metadata. ``on_ready`` is told the
    final commits before the user's checkout or branch changes, so a crash
    after it can later be checked with ``landed`` and undone with
    ``restore_interrupted``. ``marked``: files a conflict round wrote markers
    into; MarkersLeft if any still has them.
    """
    with repo_lock(repo_path):
        ready = prepare(repo_path, ws, base_branch, message, marked)
        try:
            on_ready(ready.merged)  # after the dirty check: a recovery may then restore these files
            move(ready)
        except Exception:
            reset_branch(ready)
            raise
        return ready.merged


@dataclass(frozen=True)
class Ready:
    """One repository's landing, built and checked, its branches not moved yet."""

    repo_path: Path
    branch: str  # the task's branch
    base_branch: str
    base_commit: str  # the task's base, where a refused landing puts its branch back
    merged: Merged


def prepare(
    repo_path: Path,
    ws: workspaces.Workspace,
    base_branch: str,
    message: str,
    marked: Sequence[str] = (),
) -> Ready:
    """Commit the workspace's files and rebase them onto ``base_branch`` in memory, and
    check the user's checkout can follow; only the task branch moves (call with the
    repository's lock held)."""
    user = open_repo(repo_path)
    _refuse_operation_in_progress(user)
    oid = workspaces.commit(ws, message, signature(user))
    if oid is None:
        raise NothingToMerge("nothing to merge: the task changed no files")
    if marked:
        host = workspaces.host_repo(ws)
        left = conflicts.still_marked(host, host[oid].peel(pygit2.Tree), marked)
        if left:
            raise MarkersLeft(left)
    workspaces.import_objects(ws, user, oid)
    user.references.create(f"refs/heads/{ws.branch}", oid, force=True)
    try:
        upstream = user.references[f"refs/heads/{base_branch}"].peel(pygit2.Commit)
        head = user[oid].peel(pygit2.Commit)
        if head.id != upstream.id and not user.descendant_of(head.id, upstream.id):
            new_head = rebase(user, head, upstream)
        else:
            new_head = head.id
        deltas = user.diff(upstream, user[new_head].peel(pygit2.Commit)).deltas
        files = sorted({path for d in deltas for path in (d.old_file.path, d.new_file.path)})
        _follows(user, base_branch, files)  # refused now, before anything is told of it
    except Exception:
        _reset_task_branch(user, ws.branch, ws.base_commit)
        raise
    merged = Merged(str(upstream.id), str(new_head), files)
    return Ready(repo_path, ws.branch, base_branch, ws.base_commit, merged)


def move(ready: Ready) -> None:
    """Fast-forward the default branch (and the user's checkout, if on it) to the
    landing, then the task branch; nothing if it is there already (a landing that a
    crash cut off after its move). Call with the repository's lock held."""
    repo = open_repo(ready.repo_path)
    base_ref = repo.references[f"refs/heads/{ready.base_branch}"]
    merged = ready.merged
    if str(base_ref.target) == merged.head:
        return  # the task branch may be gone with its workspace already: left so
    if str(base_ref.target) != merged.base:
        raise BranchMoved(f"{ready.base_branch} moved; accept again")
    moved_files = _follows(repo, ready.base_branch, merged.files)
    new_commit = repo[merged.head].peel(pygit2.Commit)
    if moved_files:
        _check_out(repo, new_commit, merged.files)
    try:
        # set_target is a compare-and-swap against the tip read above: a commit
        # the user made meanwhile is never overwritten.
        base_ref.set_target(new_commit.id)
    except BaseException as exc:
        if moved_files:  # they were clean before: put them back as the branch has them
            _restore(repo, repo.head.peel(pygit2.Commit).tree, merged.files)
        if isinstance(exc, pygit2.GitError):
            raise BranchMoved(f"{ready.base_branch} moved; accept again") from exc
        raise
    # Only now, with the default branch moved, does the task branch follow: a
    # failure earlier leaves it exactly as the review showed it.
    repo.references.create(f"refs/heads/{ready.branch}", pygit2.Oid(hex=merged.head), force=True)


def undo(ready: Ready) -> None:
    """Put a default branch that ``move`` moved back where it was, with the files of the
    user's checkout if it followed; nothing if the branch is no longer at the landing
    (the user moved on). Call with the repository's lock held."""
    repo = open_repo(ready.repo_path)
    base_ref = repo.references[f"refs/heads/{ready.base_branch}"]
    if str(base_ref.target) != ready.merged.head:
        return
    follows = not (repo.head_is_unborn or repo.head_is_detached) and (
        repo.head.name == base_ref.name
    )
    base_ref.set_target(pygit2.Oid(hex=ready.merged.base))
    if follows:
        _restore(repo, repo[ready.merged.base].peel(pygit2.Tree), ready.merged.files)


def reset_branch(ready: Ready) -> None:
    """The task branch back on its base, as a refused landing leaves it."""
    _reset_task_branch(open_repo(ready.repo_path), ready.branch, ready.base_commit)


def reset_task_branch(repo_path: Path, branch: str, base_commit: str) -> None:
    """Put a task branch back on its base, as a refused accept leaves it (used after
    an accept a crash cut off, which may have moved it to its commit already).

    The crash may have cut off a write of that very ref and left its lock file."""
    with repo_lock(repo_path):
        repo = open_repo(repo_path)
        drop_stale_lock(repo, f"refs/heads/{branch}")
        _reset_task_branch(repo, branch, base_commit)


def _reset_task_branch(repo: pygit2.Repository, branch: str, base_commit: str) -> None:
    repo.references.create(f"refs/heads/{branch}", pygit2.Oid(hex=base_commit), force=True)


def _refuse_operation_in_progress(repo: pygit2.Repository) -> None:
    """A fast-forward under a rebase (or merge, cherry-pick, ...) is undone by its --abort."""
    state = repo.state()
    if state != RepositoryState.NONE:
        doing = state.name.lower().replace("_", " ")
        raise OperationInProgress(
            f"your repository is in the middle of a {doing}; finish or abort it, then accept again"
        )


def landed(repo_path: Path, base_branch: str, head: str) -> bool:
    """Whether ``head`` is on ``base_branch`` (used after an interrupted accept)."""
    repo = open_repo(repo_path)
    ref = repo.references.get(f"refs/heads/{base_branch}")
    if ref is None or head not in repo:
        return False
    tip = ref.peel(pygit2.Commit).id
    return str(tip) == head or repo.descendant_of(tip, pygit2.Oid(hex=head))


def restore_interrupted(repo_path: Path, base_branch: str, base: str, head: str) -> None:
    """Undo an accept that a crash stopped mid-checkout: the files it wrote into the
    user's checkout go back to the branch's version (they were clean before)."""
    with repo_lock(repo_path):
        restore_checkout(repo_path, base_branch, base, head)


def restore_checkout(repo_path: Path, base_branch: str, base: str, head: str) -> None:
    """``restore_interrupted`` with the repository's lock held by the caller."""
    repo = open_repo(repo_path)
    if repo.head_is_unborn or repo.head_is_detached:
        return
    if repo.head.name != f"refs/heads/{base_branch}" or str(repo.head.target) != base:
        return  # the checkout was never ours to touch, or the user has moved on
    if head not in repo:
        return
    deltas = repo.diff(base, head).deltas
    files = sorted({path for d in deltas for path in (d.old_file.path, d.new_file.path)})
    _restore(repo, repo.head.peel(pygit2.Commit).tree, files)


def _restore(repo: pygit2.Repository, tree: pygit2.Tree, files: list[str]) -> None:
    """Make ``files`` in the checkout and index exactly as ``tree`` has them; a file
    the tree lacks is removed, with the folders it alone needed."""
    index = repo.index
    index.read()
    workdir = Path(repo.workdir)
    present = [path for path in files if path in tree]
    for path in files:
        if path in tree:
            continue
        target = workdir / path
        if _through_link(workdir, target):
            continue  # a folder of the user's that is a link: never reach outside
        if target.is_file() or target.is_symlink():
            target.unlink()
        if path in index:
            index.remove(path)
        parent = target.parent
        while parent != workdir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    index.write()
    if present:
        repo.checkout_tree(  # type: ignore[no-untyped-call]
            tree, strategy=CheckoutStrategy.FORCE, paths=present
        )


def rebase(repo: pygit2.Repository, head: pygit2.Commit, upstream: pygit2.Commit) -> pygit2.Oid:
    """``head`` replayed on ``upstream`` in memory: the new tip, or MergeConflict
    with the files (then nothing was written but loose objects)."""
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


def _through_link(top: Path, target: Path) -> bool:
    """Whether a folder between ``top`` and ``target`` is a symbolic link."""
    between = [p for p in target.parents if top in p.parents]
    return any(parent.is_symlink() for parent in between)


def _follows(repo: pygit2.Repository, base_branch: str, files: list[str]) -> bool:
    """Whether the user's working tree must come along (it has the default branch
    checked out), after making sure it can.

    Uncommitted user changes are never overwritten, ignored files (local
    settings, secrets) included: if any is in a file the merge changes,
    nothing moves and the user is told which files.
    """
    if repo.head_is_unborn or repo.head_is_detached:
        return False
    if repo.head.name != f"refs/heads/{base_branch}" or not files:
        return False
    dirty = _dirty(repo, set(files))
    if dirty:
        raise DirtyCheckout(dirty)
    return True


def _check_out(repo: pygit2.Repository, new: pygit2.Commit, files: list[str]) -> None:
    """Runs before the branch moves, so its baseline is the old HEAD."""
    try:
        repo.checkout_tree(  # type: ignore[no-untyped-call]
            new.tree,
            strategy=CheckoutStrategy.SAFE | CheckoutStrategy.DONT_OVERWRITE_IGNORED,
            paths=files,
        )
    except pygit2.GitError as exc:  # the checkout changed under us: name what did
        raise DirtyCheckout(_dirty(repo, set(files)) or files) from exc


def _dirty(repo: pygit2.Repository, wanted: set[str]) -> list[str]:
    """The paths among ``wanted`` that differ from HEAD, ignored files included."""
    return [
        path
        for path, flags in repo.status(ignored=True).items()
        if path in wanted and flags != FileStatus.CURRENT
    ]
