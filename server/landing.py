"""Landing a reviewed task: commit, rebase onto the default branch, fast-forward.

The git work is ``runner.merge``'s; this module decides where the task goes
after it: done (and cleaned up), to its agent for a conflict round
(``rounds``), back to review with a reason the user can act on (a conflict,
a dirty checkout, a branch that moved), or failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from runner import merge
from runner.errors import (
    BranchMoved,
    DirtyCheckout,
    MergeConflict,
    NothingToMerge,
    OperationInProgress,
    RunnerError,
    WorkspaceRefused,
)
from server import checkouts
from server.jobs import Jobs
from server.lifecycle import Lifecycle
from server.model import Task
from server.pool import WorkspacePool
from server.rounds import Rounds
from server.states import Action

if TYPE_CHECKING:
    from server.metrics import Metrics

log = logging.getLogger(__name__)
# Accept refusals the user can fix (or the agent can, on feedback): back to review.
_REVIEW_AGAIN = (BranchMoved, OperationInProgress, NothingToMerge, WorkspaceRefused)


class Landing:
    def __init__(
        self,
        life: Lifecycle,
        metrics: Callable[[], Metrics],
        pool: WorkspacePool,
        rounds: Rounds,
        jobs: Jobs,
    ) -> None:
        self.life = life
        self._metrics = metrics
        self.pool = pool
        self.rounds = rounds
        self.jobs = jobs
        # Told of each task landed, before it is done (its attempts: the others are cancelled).
        self.on_landed: Callable[[Task], Awaitable[None]] | None = None

    async def land(self, task: Task, message: str) -> None:
        """Merge an accepted (committing) task as one commit of ``message`` and move it
        on; never raises."""
        life = self.life
        loop = asyncio.get_running_loop()

        def remember(merged: merge.Merged) -> None:  # worker thread, just before the ff
            life.store.update_task(task.id, merged_base=merged.base, merged_head=merged.head)
            loop.call_soon_threadsafe(life.hub.board_changed)

        started = time.monotonic()
        try:
            merged = await life.io(
                lambda: merge.accept(
                    Path(task.repo),
                    checkouts.workspace(task),
                    task.base_branch,
                    message,
                    remember,
                    task.marked_files,
                )
            )
        except MergeConflict as exc:
            await self._conflicted(task.id, exc, message)
        except DirtyCheckout as exc:
            await self.back_to_review(task.id, str(exc), exc.files)
        except _REVIEW_AGAIN as exc:
            await self.back_to_review(task.id, str(exc), [])
        except RunnerError as exc:
            await life.move(task.id, Action.FAIL, str(exc), error=str(exc))
        except Exception as exc:
            log.exception("accept of task %s failed", task.id)
            await life.move(task.id, Action.FAIL, "accept failed", error=f"accept failed: {exc}")
        else:
            self._metrics().accept.observe(time.monotonic() - started)
            subject = message.splitlines()[0]
            await life.note(task.id, "system", message=f"landed as {merged.head[:12]}: {subject}")
            await self.landed(task, merged.base, merged.head)

    async def _conflicted(self, task_id: str, conflict: MergeConflict, message: str) -> None:
        """The agent's to resolve while rounds are left; then the person's, in review."""
        task = await self.life.get(task_id)
        if not self.rounds.left(task):
            tried = task.conflict_round
            after = f"; the agent could not resolve it in {tried} rounds" if tried else ""
            await self.back_to_review(task_id, f"{conflict}{after}", conflict.files)
            return
        try:
            await self.rounds.start(task, conflict.files, message)
        except RunnerError as exc:  # the workspace may be part written: not for review
            reason = f"the conflict could not be handed to the agent: {exc}"
            await self.life.note(task_id, "error", message=reason)
            await self.life.move(task_id, Action.FAIL, reason, error=reason)

    async def round_ended(self, task_id: str) -> None:
        """A conflict round's run ended cleanly: accept again, with the accept's message."""
        task = await self.life.move(
            task_id, Action.RESOLVED, "conflict round ended: accepting", conflict_files=[]
        )
        self.jobs.spawn(self.land(task, task.accept_message))

    async def back_to_review(self, task_id: str, reason: str, files: list[str]) -> None:
        await self.life.note(task_id, "error", message=reason, files=files)
        await self.life.move(
            task_id,
            Action.REOPEN,
            reason,
            error=reason,
            conflict_files=files,
            merged_base="",
            merged_head="",
        )

    async def landed(self, task: Task, base: str, head: str) -> None:
        """Clean up first, so that a task shown as done has nothing left behind (a crash
        before it is done comes back here through recovery)."""
        await checkouts.drop(self.life, task, self.pool)
        if self.on_landed is not None:
            await self.on_landed(task)
        await self.life.move(
            task.id,
            Action.LAND,
            f"merged into {task.base_branch}",
            merged_base=base,
            merged_head=head,
        )
