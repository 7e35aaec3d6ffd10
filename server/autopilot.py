"""Backlog tasks that start by themselves.

While there is room under ``max_parallel`` (tasks in progress, queued ones
included, so the autopilot never makes a queue), the top backlog card in board
order that may start does: every dependency done, its ``scheduled_at`` past,
and, for a card with no time set, the ``autopilot`` setting on. A card with a
time starts at it either way: setting one is asking for that.

With no room, the next card that may start gets its container made ahead
(autopilot on), so that its start only starts it. It sleeps until the board
changes (a task moved, made, edited or reordered, the settings saved), but for
one timer to the nearest scheduled time: no polling. It starts a card through
``Tasks.start``, the path and checks a person's Start takes, so the two cannot
race; a refusal (no credentials) is said once in the task's log and the card
skipped until the board changes.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from server import plans
from server.errors import ApiError, InvalidTransition, NotFound
from server.events import Hub
from server.model import Task
from server.states import Status
from server.tasks import Tasks

log = logging.getLogger(__name__)

# How much of the backlog one read takes, top first; a look reads on while it
# finds nothing to start, down to SCAN cards.
PAGE = 100
SCAN = 1000
# The longest the timer sleeps: a wall clock that jumps (a suspended laptop)
# is caught up with after at most this long.
MAX_SLEEP_S = 300.0
# A timer may fire a hair before the time it was set for.
_LATE_S = 0.01


class Autopilot:
    def __init__(self, tasks: Tasks, hub: Hub) -> None:
        self.tasks = tasks
        self.hub = hub
        self._told: dict[str, str] = {}  # task id -> the refusal its log has

    async def run(self) -> None:
        """Until cancelled (at shutdown): look, start what may start, sleep."""
        with self.hub.watch() as changed:
            while True:
                try:
                    sleep = await self.step()
                except Exception:  # a bug: say so, and look again at the next change
                    log.exception("the autopilot failed to look at the backlog")
                    sleep = None
                await changed.wait(sleep)

    async def step(self) -> float | None:
        """Start what may start now; the seconds until a scheduled card may, if one waits."""
        tasks, store = self.tasks, self.tasks.store
        config = tasks.config.current
        scheduled_only = not config.autopilot  # cheap: an index of those rows alone
        if scheduled_only and not await tasks.io(store.backlog, True, 0, 1):
            return None
        counts = await tasks.io(store.counts)
        room = config.max_parallel - counts.get(Status.IN_PROGRESS, 0)
        if room <= 0 and scheduled_only:
            return None  # a task leaving in_progress is a board change
        now = datetime.now(UTC)
        nearest: float | None = None
        seen: set[str] = set()
        offset = 0
        while offset < SCAN:
            page = await tasks.io(store.backlog, scheduled_only, offset, PAGE)
            if not page:
                break
            offset += len(page)
            for task in page:  # each one started leaves the backlog: the next page is nearer
                seen.add(task.id)
                if task.blocked_by or task.attempts:  # its attempts run its prompt
                    continue
                if not plans.due(task.scheduled_at, now):
                    until = datetime.fromisoformat(task.scheduled_at) - now
                    nearest = min(nearest or MAX_SLEEP_S, until.total_seconds() + _LATE_S)
                    continue
                if room <= 0:  # the card that starts when a slot frees
                    await self._ready(task)
                    return None
                if await self._start(task):
                    room, offset = room - 1, offset - 1
        self._told = {k: v for k, v in self._told.items() if k in seen}
        return nearest

    async def _ready(self, task: Task) -> None:
        """Have the next card's container made ahead (``server.ahead``), so that when a
        slot frees its start only starts it; its start says why, if it cannot be."""
        with contextlib.suppress(ApiError):
            await self.tasks.prepare(task.id)

    async def _start(self, task: Task) -> bool:
        """The one place the autopilot starts a card."""
        try:
            await self.tasks.start(task.id)
        except (InvalidTransition, NotFound):
            return False  # a person started, moved or deleted it meanwhile
        except ApiError as exc:
            if self._told.get(task.id) != exc.message:
                self._told[task.id] = exc.message
                log.info("autopilot: task %s not started: %s", task.id[:8], exc.message)
                await self.tasks.life.note(
                    task.id, "system", message=f"the autopilot did not start it: {exc.message}"
                )
            return False
        self._told.pop(task.id, None)
        log.info("autopilot: started task %s", task.id[:8])
        return True
