"""A task's own workspace, as its record names it: the change in it, its conflicts, its
sync onto the default branch, a conflict round's merge, and its removal; and the
workspaces of the other repositories a task spans (``Task.also``), which review,
runs and removal treat alike.

Shared by the user's actions (cancel, delete), runs (the files a run changed)
and landing (clean up once merged), none of which should know how
``runner.workspaces`` finds a workspace from a task record.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path

from runner import diffs, repos, resolve, workspaces
from runner.conflicts import ConflictFile
from runner.conflicts import conflicts as find_conflicts
from runner.errors import NotARepository, RunnerError
from runner.sync import Synced
from runner.sync import sync as sync_
from server.lifecycle import Lifecycle
from server.model import Also, Task
from server.pool import WorkspacePool
from server.states import Status

log = logging.getLogger(__name__)


def workspace(task: Task) -> workspaces.Workspace:
    """The workspace a task record names (blocking: it opens the user's repository)."""
    return _existing(task.repo, task.worktree, task.branch, task.base_commit)


def extra_workspace(task: Task, extra: Also) -> workspaces.Workspace:
    """The workspace of one of the other repositories the task spans (blocking)."""
    return _existing(extra.repo, extra.worktree, task.branch, extra.base_commit)


def _existing(repo: str, worktree: str, branch: str, base_commit: str) -> workspaces.Workspace:
    try:
        git_dir = repos.inspect_repo(repo).git_dir
    except NotARepository as exc:  # the workspace borrows its objects: nothing to read
        raise NotARepository(
            f"the task's repository is no longer at {repo} ({exc}); was it moved or deleted?"
        ) from exc
    return workspaces.existing(Path(worktree), git_dir, branch, base_commit)


# Once an accept has said where the change lands, the diff is read from those commits,
# never from the workspace, which the landing then removes (a read would race it).
_LANDING = (Status.COMMITTING, Status.DONE)


def diff(task: Task, max_bytes: int = diffs.MAX_FILE_BYTES) -> repos.Diff:
    """The change under review, or, once merged, the change as it landed (blocking);
    each file past ``max_bytes`` is left unread."""
    if task.merged_head and task.status in _LANDING:
        return repos.diff_commits(Path(task.repo), task.merged_base, task.merged_head, max_bytes)
    if has_workspace(task):
        return workspaces.diff(workspace(task), max_bytes)
    return repos.Diff([], [])


def every_diff(task: Task, max_bytes: int) -> list[tuple[str, repos.Diff]]:
    """Each repository the task spans with its ``diff``, the primary first (blocking)."""
    return [(task.repo, diff(task, max_bytes))] + [
        (extra.repo, _extra_diff(task, extra, max_bytes)) for extra in task.also
    ]


def _extra_diff(task: Task, extra: Also, max_bytes: int) -> repos.Diff:
    """``diff`` for one of the other repositories the task spans (blocking)."""
    if extra.merged_head and task.status in _LANDING:
        return repos.diff_commits(Path(extra.repo), extra.merged_base, extra.merged_head, max_bytes)
    if _present(extra.worktree, extra.base_commit):
        return workspaces.diff(extra_workspace(task, extra), max_bytes)
    return repos.Diff([], [])


def changed_files(task: Task) -> list[str]:
    """What a run changed, without reading any file's content (blocking); another
    repository's files under its name, as the container sees them."""
    changed = workspaces.changed_files(workspace(task)) if has_workspace(task) else []
    for extra in task.also:
        if _present(extra.worktree, extra.base_commit):
            found = workspaces.changed_files(extra_workspace(task, extra))
            changed.extend(f"{extra.name}/{path}" for path in found)
    return changed


def style(task: Task, count: int) -> tuple[list[str], str]:
    """Its default branch's newest commit subjects and the change's ``diff --stat``:
    what a commit message in the repository's style is written from (blocking)."""
    stat = workspaces.diff_stat(workspace(task)) if has_workspace(task) else ""
    return repos.subjects(Path(task.repo), task.base_branch, count), stat


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
    return _present(task.worktree, task.base_commit)


def _present(worktree: str, base_commit: str) -> bool:
    return bool(worktree and base_commit and Path(worktree).exists())


def conflicts(task: Task) -> list[ConflictFile]:
    """Where the task's change meets its default branch as it is now (blocking, read-only);
    for a task spanning several repositories, each one's, under its name."""
    found = find_conflicts(workspace(task), Path(task.repo), task.base_branch, task.marked_files)
    if not task.also:
        return found
    named = [replace(f, path=f"{Path(task.repo).name}/{f.path}") for f in found]
    for extra in task.also:
        if _present(extra.worktree, extra.base_commit):
            ws = extra_workspace(task, extra)
            theirs = find_conflicts(ws, Path(extra.repo), extra.base_branch)
            named.extend(replace(f, path=f"{extra.name}/{f.path}") for f in theirs)
    return named


async def drop(life: Lifecycle, task: Task, pool: WorkspacePool) -> None:
    """Remove the task's workspaces and branches, the primary's workspace into the pool
    to be recycled; a failure is noted, never fatal."""
    if not task.worktree:
        return
    try:
        with contextlib.suppress(RunnerError, OSError):  # then it is removed with the rest
            await life.io(pool.give_back, task)
        await life.io(remove_all, task, workspaces.root_of(Path(task.worktree)))
    except (RunnerError, OSError, RecursionError) as exc:  # a tree nested to attack
        log.warning("could not remove the worktree of task %s: %s", task.id[:8], exc)
        await life.note(task.id, "system", message=f"worktree left behind: {exc}")
        return
    await life.update(task.id, worktree="")


def remove_all(task: Task, root: Path) -> None:
    """Remove the task's folder ``root`` and its branch and base ref in every repository
    it spans (blocking); the other repositories' workspaces are under ``root``."""
    for extra in task.also:
        workspaces.remove(Path(extra.repo), task.id, workspaces.also_root(root, extra.name))
    workspaces.remove(Path(task.repo), task.id, root)
