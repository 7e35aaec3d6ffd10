"""After a restart, bring every unfinished task to a truthful state.

A run's container may have outlived the last process (reattach and follow it
from the line it was at), ended meanwhile (trust its last stored result) or
never started; an accept may have been cut off before or after its
fast-forward (finish it, or put the user's checkout back and return the task
to review), or while preparing a conflict round (prepare it again); an accept
across several repositories is completed from its journal (``_accept_all``).
Where each case leads is decided by ``outcomes``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from runner import landall, merge
from runner.containers import Engine
from runner.errors import RunnerError, RuntimeUnavailable
from server import outage, outcomes
from server.jobs import Jobs
from server.landing import Landing
from server.lifecycle import Lifecycle
from server.model import Task
from server.runs import Runs
from server.states import Action, Status

log = logging.getLogger(__name__)
_ALL = 100_000


class Recovery:
    def __init__(
        self, life: Lifecycle, engine: Engine, runs: Runs, landing: Landing, jobs: Jobs
    ) -> None:
        self.life = life
        self.engine = engine
        self.runs = runs
        self.landing = landing
        self.jobs = jobs

    async def recover(self) -> None:
        await self._runs()
        await self._accepts()

    async def _runs(self) -> None:
        """Reattach to containers that outlived the last process; settle the rest."""
        life, runs = self.life, self.runs
        running, _ = await life.io(life.store.list_tasks, [Status.IN_PROGRESS], _ALL)
        if not running:
            return

        async def note() -> None:  # the engine may start after us (Docker Desktop at login)
            for task in running:
                await life.note(
                    task.id, "system", message="waiting for the container engine to reattach"
                )

        async def always() -> bool:
            return True

        try:
            found = await outage.until_engine(
                lambda: life.io(self.engine.list, runs.instance), note, always
            )
        except RuntimeUnavailable:
            for task in running:
                await self._fail(task.id, "the container engine was unreachable after a restart")
            return
        assert found is not None
        # One made ahead and never started is the preparations' (see ``ahead.sweep``);
        # another never started was cut off before its start: nothing to follow.
        found = [c for c in found if c.started or not c.ahead]
        containers = {c.task_id: c for c in found if c.started}
        orphans = [c for c in found if not c.started]
        for task in running:
            container = containers.pop(task.id, None)
            if container is not None:
                await life.note(task.id, "system", message="reattached after a restart")
                self.jobs.spawn(runs.reattach(task.id, container.id, task.run_lines))
            elif not task.container_id:
                await self._fail(task.id, "interrupted before its container started; resume it")
            else:
                await self._settle_lost(task)
        for orphan in [*orphans, *containers.values()]:
            log.info("removing orphan container %s", orphan.id[:12])
            await life.io(self.engine.remove, orphan.id)

    async def _settle_lost(self, task: Task) -> None:
        """The container vanished while we were down: trust its last stored result."""
        last = await self.life.io(self.life.store.last_event, task.id, "output")
        await self.life.update(task.id, container_id="")
        events = last.data.get("events", []) if last else []
        await self.runs.conclude(task.id, outcomes.settled(events))

    async def _fail(self, task_id: str, reason: str) -> None:
        await self.runs.conclude(task_id, outcomes.Outcome(Action.FAIL, reason))

    async def _accepts(self) -> None:
        """An accept cut off: finish it if it landed, else undo and back to review."""
        life = self.life
        committing, _ = await life.io(life.store.list_tasks, [Status.COMMITTING], _ALL)
        for task in committing:
            try:
                await self._accept(task)
            except (RunnerError, OSError) as exc:  # e.g. the repository is gone or
                # locked by git: say so, go on (a stuck "committing" would tell nothing)
                reason = f"the accept was interrupted and cannot be finished: {exc}"
                await life.note(task.id, "error", message=reason)
                await life.move(task.id, Action.FAIL, reason, error=reason)

    async def _accept(self, task: Task) -> None:
        life = self.life
        if task.conflict_change:  # cut off preparing a conflict round: prepare it again
            await self.landing.rounds.prepare(task)
            return
        if task.also:
            await self._accept_all(task)
            return
        landed = bool(task.merged_head) and await life.io(
            merge.landed, Path(task.repo), task.base_branch, task.merged_head
        )
        if landed:
            await self.landing.landed(task, task.merged_base, task.merged_head)
            return
        if task.merged_head:  # the checkout may be half done: put it back
            await life.io(
                merge.restore_interrupted,
                Path(task.repo),
                task.base_branch,
                task.merged_base,
                task.merged_head,
            )
        await life.io(merge.reset_task_branch, Path(task.repo), task.branch, task.base_commit)
        await self.landing.back_to_review(
            task.id, "the accept was interrupted before it landed; accept again", []
        )

    async def _accept_all(self, task: Task) -> None:
        """An accept across repositories: completed from its journal if it was written
        (``landall.finish``: forward, or, if a branch can no longer move, all back),
        else its task branches put back; then done, or back to review with why."""
        io = self.life.io
        repos = [
            (Path(task.repo).name, task.repo, task.base_branch, task.base_commit),
            *((a.name, a.repo, a.base_branch, a.base_commit) for a in task.also),
        ]
        tips = [
            (task.merged_base, task.merged_head),
            *((a.merged_base, a.merged_head) for a in task.also),
        ]
        journal = [
            (name, await io(landall.entry, Path(repo), task.branch, branch, base_commit, *tip))
            for (name, repo, branch, base_commit), tip in zip(repos, tips, strict=True)
            if tip[1]
        ]
        if not journal:
            for _, repo, _, base_commit in repos:
                await io(merge.reset_task_branch, Path(repo), task.branch, base_commit)
            await self.landing.back_to_review(
                task.id, "the accept was interrupted before it landed; accept again", []
            )
            return
        try:
            await io(landall.finish, journal)
        except RunnerError as exc:
            await self.landing.back_to_review(
                task.id,
                f"the interrupted accept could not be completed, so nothing landed: {exc}",
                [],
            )
            return
        await self.landing.landed(task, task.merged_base, task.merged_head)
