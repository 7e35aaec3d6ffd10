"""Sync and "N behind": a waiting or failed task moved onto its default branch's head
(nothing lands), and how many commits that head is ahead of each task's base.

A sync holds its task: no run, accept or cancel may touch the workspace while
the host writes into it. "Behind" is counted once per (repository, default
branch head, task base): a board page opens each repository once, and the
count is only redone once that head or the base moves.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pygit2

from runner import repos, sync
from runner.errors import MergeConflict, RunnerError
from server import checkouts, states
from server.errors import Conflict
from server.holds import Holds
from server.lifecycle import Lifecycle
from server.model import Task

# Counts kept at most; past it the cache starts afresh (a count is cheap to redo).
MAX_CACHED = 10_000
_Key = tuple[str, str, str]  # repository, default branch head, task base


class Syncs:
    def __init__(self, life: Lifecycle, holds: Holds) -> None:
        self.life = life
        self.holds = holds
        self._counts: dict[_Key, int] = {}

    async def sync(self, task: Task) -> Task:
        """Move the task's change onto its default branch's head; 409 with the
        conflicting files (and nothing changed) if it does not apply there."""
        if task.status not in states.SYNCABLE:
            which = " or ".join(sorted(states.SYNCABLE))
            raise Conflict(f"only a {which} task can be synced, not a {task.status} one")
        if not checkouts.has_workspace(task):
            raise Conflict("the task has no workspace: nothing to sync")
        self.holds.hold(task.id, "being synced onto its default branch")
        try:
            synced = await self.life.io(checkouts.sync, task)
        except MergeConflict as exc:
            raise Conflict(f"{exc}; nothing was changed", files=exc.files) from exc
        finally:
            self.holds.release(task.id)
        if synced.behind:
            await self.life.note(
                task.id,
                "system",
                message=f"synced onto {task.base_branch} at {synced.base[:12]} "
                f"({synced.behind} new commits, {len(synced.files)} files rewritten)",
            )
        return await self.life.update(task.id, base_commit=synced.base, conflict_files=[])

    async def behind(self, tasks: list[Task]) -> dict[str, int]:
        """Commits each syncable task's base lacks of its default branch, by task id."""
        wanted = [t for t in tasks if t.status in states.SYNCABLE and t.base_commit]
        return await self.life.io(self._count, wanted) if wanted else {}

    def _count(self, tasks: list[Task]) -> dict[str, int]:
        by_repo: dict[tuple[str, str], list[Task]] = defaultdict(list)
        for task in tasks:
            by_repo[task.repo, task.base_branch].append(task)
        counts: dict[str, int] = {}
        for (path, branch), group in by_repo.items():
            try:
                repo = repos.open_repo(Path(path))
                ref = repo.references.get(f"refs/heads/{branch}")
            except (RunnerError, pygit2.GitError):
                continue  # the repository is gone or broken: the panel says so elsewhere
            if ref is None:
                continue
            head = ref.peel(pygit2.Commit).id
            for task in group:
                key = (path, str(head), task.base_commit)
                if key not in self._counts:
                    if len(self._counts) >= MAX_CACHED:
                        self._counts.clear()
                    self._counts[key] = sync.behind(repo, head, task.base_commit)
                counts[task.id] = self._counts[key]
        return counts
