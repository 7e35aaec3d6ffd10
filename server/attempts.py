"""Attempts: one task's prompt run as several tasks at once, each with its own agent
or model, branch, workspace and container, so their changes can be compared and
one accepted.

An attempt is an ordinary task whose ``attempt_of`` names the original: it waits
for a slot, runs, is reviewed and accepted like any other. This module makes
the group and, once one member has landed (``Landing`` calls ``landed``), cancels
and cleans up the others before that member is shown done. The merge comes
first, so a failed one destroys nothing; a crash after it leaves the member
committing, and recovery, finding it landed, comes back here.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from server import checkouts
from server.errors import ApiError, Conflict, Unprocessable
from server.model import Task
from server.states import ATTEMPTABLE, Action, Status
from server.tasks import Tasks

log = logging.getLogger(__name__)
# More would crowd the compare view and take every slot for one prompt.
MIN_ATTEMPTS, MAX_ATTEMPTS = 2, 5


class Attempts:
    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks
        self.life = tasks.life

    async def group(self, task_id: str) -> list[Task]:
        """The original and its attempts, oldest first, from any one of them."""
        task = await self.tasks.get(task_id)
        return await self.life.io(self.life.store.attempt_group, task.attempt_of or task.id)

    async def start(self, task_id: str, specs: list[dict[str, Any]]) -> list[Task]:
        """Make one attempt per spec (its agent and model; the original's when left out)
        and start them; all are checked before any is made."""
        original = await self.tasks.get(task_id)
        if original.attempt_of:
            raise Conflict(
                f"this task is an attempt of {original.attempt_of[:8]}; start attempts of that one",
                field="attempts",
            )
        if original.status not in ATTEMPTABLE:
            usable = ", ".join(sorted(ATTEMPTABLE))
            raise Conflict(
                f"attempts start from a task that is {usable}; this one is {original.status}",
                field="attempts",
            )
        if not MIN_ATTEMPTS <= len(specs) <= MAX_ATTEMPTS:
            raise Unprocessable(
                f"give {MIN_ATTEMPTS} to {MAX_ATTEMPTS} attempts, not {len(specs)}",
                field="attempts",
            )
        drafts = []
        for index, spec in enumerate(specs):
            try:
                drafts.append(await self._draft(original, spec))
            except ApiError as exc:
                exc.message = f"attempts[{index}]: {exc.message}"
                raise
        made = await self.life.io(self.life.store.create_tasks, drafts)
        self.life.hub.board_changed()
        return [await self.tasks.start(task.id) for task in made]

    async def _draft(self, original: Task, spec: dict[str, Any]) -> Task:
        fields = {
            "prompt": original.prompt,
            "title": original.title,
            "repo": original.repo,
            "also": [extra.repo for extra in original.also],
            "agent": spec.get("agent") or original.agent,
            "model": spec["model"] if spec.get("model") is not None else original.model,
            "tags": original.tags,
            "budget_usd": original.budget_usd,
            "auto_test": original.auto_test,
            "auto_accept": original.auto_accept,
        }
        draft = await self.tasks.draft(fields, [])
        missing = await self.life.io(self.tasks.config.missing, draft.agent)
        if missing:  # it would fail at once with "please log in"
            raise Unprocessable(missing, field="env")
        return dataclasses.replace(draft, attempt_of=original.id)

    async def landed(self, winner: Task) -> None:
        """Cancel and clean up every other member of the winner's group (again after a
        crash: what is done already is skipped); never raises."""
        if not (winner.attempt_of or winner.attempts):
            return
        reason = f"superseded: attempt {winner.id[:8]} of the same prompt landed"
        for other in await self.group(winner.id):
            try:
                if other.id != winner.id and other.status in ATTEMPTABLE:
                    await self.tasks.cancel(other.id, Action.SUPERSEDE, reason)
                elif other.status == Status.CANCELLED and other.worktree:
                    await checkouts.drop(self.life, other, self.tasks.pool)
            except ApiError as exc:  # e.g. it moved meanwhile, or a sync holds it
                log.warning("attempt %s not superseded: %s", other.id[:8], exc.message)
                await self.life.note(other.id, "error", message=f"{reason}: {exc.message}")
