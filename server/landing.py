"""Landing a reviewed task: commit, rebase onto the default branch, fast-forward.

The git work is ``runner.merge``'s; this module decides where the task goes
after it: done (and cleaned up), back to review with a reason the user can act
on (a conflict, a dirty checkout, a branch that moved), or failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
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
from server.lifecycle import Lifecycle
from server.model import Task
from server.pool import WorkspacePool
from server.states import Action

if TYPE_CHECKING:
    from server.metrics import Metrics

log = logging.getLogger(__name__)
# Accept refusals the user can fix (or the agent can, on feedback): back to review.
_REVIEW_AGAIN = (BranchMoved, OperationInProgress, NothingToMerge, WorkspaceRefused)


class Landing:
    def __init__(
        self, life: Lifecycle, metrics: Callable[[], Metrics], pool: WorkspacePool
    ) -> None:
        self.life = life
        self._metrics = metrics
        self.pool = pool

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
                )
            )
        except (MergeConflict, DirtyCheckout) as exc:
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
        """Clean up first, so that a task shown as done has nothing left behind."""
        await checkouts.drop(self.life, task, self.pool)
        await self.life.move(
            task.id,
            Action.LAND,
            f"merged into {task.base_branch}",
            merged_base=base,
            merged_head=head,
        )
