"""Landing a reviewed task: commit, rebase onto the default branch, fast-forward.

The git work is ``runner.merge``'s (``runner.landall``'s for a task spanning
several repositories); this module decides where the task goes after it: done
(and cleaned up), to its agent for a conflict round (``rounds``), back to
review with a reason the user can act on (a conflict, a dirty checkout, a
branch that moved), or failed. A task spanning several repositories lands in
all of them or none; its conflicts are not handed to the agent (rounds work
in the primary's workspace alone): it goes back to review, naming the
repository.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from runner import landall, merge
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
            if task.also:
                await life.io(self._land_all, task, message, loop)
            else:
                await life.io(
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
            if task.also:
                await self.back_to_review(task.id, str(exc), exc.files)
            else:
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
            journaled = await life.get(task.id)  # where each repository landed
            where = ", ".join(f"{c['name']} {c['commit'][:12]}" for c in journaled.landed())
            where = where if task.also else journaled.merged_head[:12]
            await life.note(task.id, "system", message=f"landed as {where}: {subject}")
            await self.landed(task, journaled.merged_base, journaled.merged_head)

    def _land_all(self, task: Task, message: str, loop: asyncio.AbstractEventLoop) -> None:
        """Land the change in every repository the task spans, or in none (blocking). The
        journal, written before any branch moves, is every repository's old and new tip
        in the task's record, flushed to disk."""
        parts = [
            landall.Part(
                Path(task.repo).name, Path(task.repo), checkouts.workspace(task), task.base_branch
            ),
            *(
                landall.Part(
                    extra.name,
                    Path(extra.repo),
                    checkouts.extra_workspace(task, extra),
                    extra.base_branch,
                )
                for extra in task.also
            ),
        ]
        store = self.life.store

        def journal(readies: list[merge.Ready | None]) -> None:
            tips = [(r.merged.base, r.merged.head) if r else ("", "") for r in readies]
            also = [
                replace(extra, merged_base=base, merged_head=head)
                for extra, (base, head) in zip(task.also, tips[1:], strict=True)
            ]
            store.update_task(task.id, merged_base=tips[0][0], merged_head=tips[0][1], also=also)
            store.flush()
            loop.call_soon_threadsafe(self.life.hub.board_changed)

        landall.accept(parts, message, journal, task.marked_files)

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
        also = (await self.life.get(task_id)).also
        await self.life.move(
            task_id,
            Action.REOPEN,
            reason,
            error=reason,
            conflict_files=files,
            merged_base="",
            merged_head="",
            also=[replace(extra, merged_base="", merged_head="") for extra in also],
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
