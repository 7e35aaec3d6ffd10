"""Sync: a task's change moved onto its default branch's head, landing nothing.

The change is what accept would commit (the workspace's files, read by
``workspaces.snapshot``), replayed by accept's own rebase, in the host's git
dir; on a conflict nothing has been written anywhere. Otherwise the files the
default branch changed are written into the workspace through ``writeback``,
its git dir is made anew at the new base, and the task's branch and base ref
follow. Under the repository's lock, so an accept never runs alongside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from runner import merge, workspaces, writeback
from runner.errors import WorkspaceRefused
from runner.repos import branch_head, open_repo


@dataclass(frozen=True)
class Synced:
    base: str  # the task's base commit now: the default branch's head
    behind: int  # how many commits the base moved over
    files: list[str]  # the workspace paths the sync wrote or removed


def behind(repo: pygit2.Repository, tip: pygit2.Oid, base: str) -> int:
    """Commits on ``tip`` that the task's ``base`` lacks (0 if ``base`` is unknown)."""
    base_id = pygit2.Oid(hex=base)
    if base_id not in repo:
        return 0
    return int(repo.ahead_behind(tip, base_id)[0])


def sync(repo_path: Path, ws: workspaces.Workspace, task_id: str, base_branch: str) -> Synced:
    """Move the task onto ``base_branch``'s head, or raise MergeConflict with nothing moved."""
    with merge.repo_lock(repo_path):
        user = open_repo(repo_path)
        upstream = branch_head(user, base_branch, repo_path)
        moved = behind(user, upstream.id, ws.base_commit)
        if str(upstream.id) == ws.base_commit:
            return Synced(ws.base_commit, 0, [])
        change = workspaces.commit(ws, "the task's change", merge.signature(user))
        host = workspaces.host_repo(ws)
        if change is None:
            old = host[ws.base_commit].peel(pygit2.Tree)
            new = upstream.tree
        else:
            head = host[change].peel(pygit2.Commit)
            old = head.tree
            new = host[merge.rebase(host, head, upstream)].peel(pygit2.Tree)
        try:
            files = writeback.apply(ws, host, old, new)
            writeback.replace_git(ws, upstream)
        except (OSError, RecursionError) as exc:  # a folder the agent made unwritable
            raise WorkspaceRefused(
                f"the sync stopped part way, the workspace partly written: {exc}"
            ) from exc
        workspaces.set_base(user, task_id, upstream.id)
        return Synced(str(upstream.id), moved, files)
