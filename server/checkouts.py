"""A task's own workspace, as its record names it: the change in it, its conflicts, its
sync onto the default branch, a conflict round's merge, and its removal.

Shared by the user's actions (cancel, delete), runs (the files a run changed)
and landing (clean up once merged), none of which should know how
``runner.workspaces`` finds a workspace from a task record.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from runner import diffs, repos, resolve, workspaces
from runner.conflicts import ConflictFile
from runner.conflicts import conflicts as find_conflicts
from runner.errors import NotARepository, RunnerError
from runner.sync import Synced
from runner.sync import sync as sync_
from server.lifecycle import Lifecycle
from server.model import Task
from server.pool import WorkspacePool
from server.states import Status

log = logging.getLogger(__name__)


def workspace(task: Task) -> workspaces.Workspace:
    """The workspace a task record names (blocking: it opens the user's repository)."""
    try:
        git_dir = repos.inspect_repo(task.repo).git_dir
    except NotARepository as exc:  # the workspace borrows its objects: nothing to read
        raise NotARepository(
            f"the task's repository is no longer at {task.repo} ({exc}); was it moved or deleted?"
        ) from exc
    return workspaces.existing(Path(task.worktree), git_dir, task.branch, task.base_commit)


def diff(task: Task, max_bytes: int = diffs.MAX_FILE_BYTES) -> repos.Diff:
    """The change under review, or, once merged, the change as it landed (blocking);
    each file past ``max_bytes`` is left unread."""
    if task.merged_head and task.status == Status.DONE:
        return repos.diff_commits(Path(task.repo), task.merged_base, task.merged_head, max_bytes)
    if has_workspace(task):
        return workspaces.diff(workspace(task), max_bytes)
    return repos.Diff([], [])


def changed_files(task: Task) -> list[str]:
    """What a run changed, without reading any file's content (blocking)."""
    return workspaces.changed_files(workspace(task)) if has_workspace(task) else []


def sync(task: Task) -> Synced:
    """Move the task's change onto its default branch's head (blocking)."""
    return sync_(Path(task.repo), workspace(task), task.id, task.base_branch)


def save_change(task: Task) -> str:
    """The task's change as a commit only the host sees, for a conflict round (blocking)."""
    return resolve.save_change(Path(task.repo), workspace(task))


def prepare_round(task: Task) -> resolve.Prepared:
    """Write the task's saved change, merged onto its default branch's head with conflict
    markers, into its workspace (blocking)."""
    return resolve.prepare(
        Path(task.repo), workspace(task), task.id, task.base_branch, task.conflict_change
    )


def has_workspace(task: Task) -> bool:
    return bool(task.worktree and task.base_commit and Path(task.worktree).exists())


def conflicts(task: Task) -> list[ConflictFile]:
    """Where the task's change meets its default branch as it is now (blocking, read-only)."""
    return find_conflicts(workspace(task), Path(task.repo), task.base_branch, task.marked_files)


async def drop(life: Lifecycle, task: Task, pool: WorkspacePool) -> None:
    """Remove the task's workspace and branch, the workspace into the pool to be
    recycled; a failure is noted, never fatal."""
    if not task.worktree:
        return
    try:
        with contextlib.suppress(RunnerError, OSError):  # then it is removed with the rest
            await life.io(pool.give_back, task)
        root = workspaces.root_of(Path(task.worktree))
        await life.io(workspaces.remove, Path(task.repo), task.id, root)
    except (RunnerError, OSError, RecursionError) as exc:  # a tree nested to attack
        log.warning("could not remove the worktree of task %s: %s", task.id[:8], exc)
        await life.note(task.id, "system", message=f"worktree left behind: {exc}")
        return
    await life.update(task.id, worktree="")
