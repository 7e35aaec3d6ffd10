"""The one owner of a task's status, and of what the board is told about it.

Every status change goes through ``Lifecycle.move``: it checks the transition
table in ``states``, records the change atomically in the store, redacts the
reason, wakes live clients and tells listeners (the desktop tray). Runs,
landing, recovery and the user's actions all move tasks only through here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from server import states
from server.blocking import Blocking
from server.errors import InvalidTransition, NotFound
from server.events import Hub
from server.model import Task
from server.redact import Redactor
from server.states import Action
from server.store import Store

log = logging.getLogger(__name__)
Listener = Callable[[Task, dict[str, int]], None]


class Lifecycle:
    def __init__(
        self, store: Store, hub: Hub, io: Blocking, redactor: Callable[[], Redactor]
    ) -> None:
        self.store = store
        self.hub = hub
        self.io = io
        self._redactor = redactor  # the current one: it follows edits of the env file
        # Told of every status change, with the counts per status (the desktop tray).
        self.listeners: list[Listener] = []

    async def get(self, task_id: str) -> Task:
        task = await self.io(self.store.get_task, task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id}")
        return task

    async def move(self, task_id: str, action: Action, reason: str = "", **changes: Any) -> Task:
        """The only way a task changes status; raises InvalidTransition (409) if illegal."""
        task = await self.get(task_id)
        to = states.target(task.status, action)
        if to not in states.RUNNING:  # an accept's conflict rounds end with its run
            changes = {"conflict_round": 0, "conflict_change": "", **changes}
        if to == states.Status.IN_PROGRESS:  # a run changes the change: its verdict is stale
            stale = {"verdict": "", "verdict_reasons": "", "verdict_at": "", "verdict_cost_usd": 0}
            changes = {**stale, **changes}
        redactor = self._redactor()
        reason = redactor.text(reason)
        changes = redactor.value(changes)
        moved = await self.io(self.store.transition, task_id, task.status, to, reason, **changes)
        if moved is None:  # someone else moved it between our read and write
            states.target((await self.get(task_id)).status, action)
            raise InvalidTransition(f"the task changed while trying to {action}; try again")
        self.hub.task_changed(task_id)
        self.hub.board_changed()
        if self.listeners:
            counts = await self.io(self.store.counts)
            for listener in self.listeners:
                listener(moved[0], counts)
        log.info("task %s: %s -> %s %s", task_id[:8], task.status, to, reason)
        return moved[0]

    async def update(self, task_id: str, **changes: Any) -> Task:
        """Change bookkeeping fields (never the status) and tell the board."""
        saved = await self.io(self.store.update_task, task_id, **changes)
        self.hub.board_changed()
        return saved

    def redacted(self, text: str) -> str:
        """An agent's words without the env's secrets, before they are stored or used."""
        return self._redactor().text(text)

    async def note(self, task_id: str, type_: str, **data: Any) -> None:
        """Append to the task's log (feedback, errors, system notes) and stream it."""
        await self.io(self.store.append_event, task_id, type_, self._redactor().value(data))
        self.hub.task_changed(task_id)

    async def announce(self, type_: str, data: dict[str, Any]) -> None:
        """A board change that is no task's (an image being prepared)."""
        await self.io(self.store.add_board_event, type_, data)
        self.hub.board_changed()
