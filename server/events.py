"""In-process fan-out of live events to SSE clients, bounded so no client can leak memory.

Two channels: the board (task created, updated, deleted; sequence numbers come
from the store, so replay survives a restart) and each task's own log. A
subscriber that falls too far behind is dropped; it reconnects and catches up
from the store, which is the source of truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from server.model import Event

QUEUE_LIMIT = 2000


@dataclass(frozen=True)
class BoardEvent:
    seq: int
    type: str
    data: str  # JSON text, as stored


class Subscription:
    """One client's queue. ``overflowed`` means it missed events and must resync."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = asyncio.Event()

    def offer(self, item: Any) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed.set()

    async def next(self, timeout: float) -> Any:
        """The next item, or None after ``timeout`` (time for a heartbeat)."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


# Sent on a task's channel when its run ends, so log streams can close.
RUN_ENDED = object()


class Hub:
    """Lives on the event loop; publishers on other threads use call_soon_threadsafe."""

    def __init__(self) -> None:
        self._board: set[Subscription] = set()
        self._tasks: dict[str, set[Subscription]] = {}

    @property
    def board_clients(self) -> int:
        return len(self._board)

    def publish_board(self, event: BoardEvent) -> None:
        for sub in self._board:
            sub.offer(event)

    def publish_task(self, task_id: str, event: Event | object) -> None:
        for sub in self._tasks.get(task_id, ()):
            sub.offer(event)

    @contextmanager
    def board(self) -> Iterator[Subscription]:
        sub = Subscription()
        self._board.add(sub)
        try:
            yield sub
        finally:
            self._board.discard(sub)

    @contextmanager
    def task(self, task_id: str) -> Iterator[Subscription]:
        sub = Subscription()
        self._tasks.setdefault(task_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._tasks.get(task_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._tasks[task_id]
