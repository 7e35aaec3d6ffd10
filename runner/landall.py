"""Accept across several repositories, all or nothing.

Every repository's landing is prepared first (``merge.prepare``: commit,
rebase in memory, the dirty check), moving only task branches; a conflict or
refusal in any one of them leaves every default branch where it was. Only
then is the journal written (``on_ready``: every repository's old and new
tip, kept by the caller somewhere a crash cannot lose), and the default
branches are moved one by one. If one cannot move (the user moved it in the
meantime, its checkout turned dirty), those moved already are put back.

After a crash between two moves, ``finish`` completes the journal: rolling
forward, because every new commit is already in its repository and the user
asked for exactly this; a repository that can no longer move (its branch is
at neither tip) rolls the others back instead, so the outcome is whole either
way. The per-repository locks are always taken in the order of their paths,
so two accepts sharing repositories cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from runner import merge, workspaces
from runner.errors import DirtyCheckout, MergeConflict, NothingToMerge, RunnerError
from runner.repos import open_repo


@dataclass(frozen=True)
class Part:
    """One repository of the accept, with the name the task's container knows it by."""

    name: str
    repo_path: Path
    ws: workspaces.Workspace
    base_branch: str


def accept(
    parts: Sequence[Part],
    message: str,
    on_ready: Callable[[list[merge.Ready | None]], None],
    marked: Sequence[str] = (),
) -> list[merge.Ready | None]:
    """Land every part's change as one commit of ``message`` each, or none of them.

    The result, like ``on_ready``'s argument, has one entry per part: None where
    that repository's workspace has no change. ``marked`` is the first part's
    (conflict rounds are the primary's). NothingToMerge only if no part changed.
    """
    order = sorted(range(len(parts)), key=lambda i: str(parts[i].repo_path.resolve()))
    readies: list[merge.Ready | None] = [None] * len(parts)
    with _locked([parts[i].repo_path for i in order]):
        try:
            for i in order:
                part = parts[i]
                try:
                    with _naming(part.name):
                        mine = marked if i == 0 else ()
                        readies[i] = merge.prepare(
                            part.repo_path, part.ws, part.base_branch, message, mine
                        )
                except NothingToMerge:
                    continue
            if not any(readies):
                raise NothingToMerge("nothing to merge: the task changed no files in any repo")
            on_ready(readies)
            _move_names([(parts[i].name, r) for i in order if (r := readies[i]) is not None])
        except Exception:
            for made in readies:
                if made is not None:
                    merge.reset_branch(made)
            raise
    return readies


def finish(readies: Sequence[tuple[str, merge.Ready]]) -> None:
    """Complete an accept a crash cut off after its journal (``(name, ready)`` each);
    if it cannot be completed, undo what it moved and raise, naming the repository."""
    ordered = sorted(readies, key=lambda pair: str(pair[1].repo_path.resolve()))
    with _locked([ready.repo_path for _, ready in ordered]):
        try:
            for _, ready in ordered:  # a checkout cut off mid-way goes back first
                merged = ready.merged
                merge.restore_checkout(ready.repo_path, ready.base_branch, merged.base, merged.head)
            _move_names(ordered)
        except Exception:
            for _, ready in ordered:
                merge.reset_branch(ready)
            raise


def entry(
    repo_path: Path, branch: str, base_branch: str, base_commit: str, base: str, head: str
) -> merge.Ready:
    """A journal's entry as ``finish`` takes it (blocking); the files are the tips' diff."""
    repo = open_repo(repo_path)
    if base not in repo or head not in repo:
        raise RunnerError(f"{repo_path} lacks the commits its landing was journaled with")
    deltas = repo.diff(base, head).deltas
    files = sorted({path for d in deltas for path in (d.old_file.path, d.new_file.path)})
    return merge.Ready(repo_path, branch, base_branch, base_commit, merge.Merged(base, head, files))


def _move_names(readies: Sequence[tuple[str, merge.Ready]]) -> None:
    """Move each in turn; on a refusal, put back those moved, then raise."""
    moved: list[merge.Ready] = []
    try:
        for name, ready in readies:
            with _naming(name):
                merge.move(ready)
            moved.append(ready)
    except Exception:
        for ready in reversed(moved):
            merge.undo(ready)
        raise


@contextmanager
def _locked(paths: list[Path]) -> Iterator[None]:
    with ExitStack() as stack:
        for path in paths:
            stack.enter_context(merge.repo_lock(path))
        yield


@contextmanager
def _naming(name: str) -> Iterator[None]:
    """A refusal says which repository it is about, and its files carry its folder name."""
    try:
        yield
    except RunnerError as exc:
        if isinstance(exc, MergeConflict | DirtyCheckout):
            exc.files = [f"{name}/{path}" for path in exc.files]
        exc.args = (f"{name}: {exc}",)
        raise
