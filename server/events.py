"""Waking live SSE clients when something they follow changes.

The store is the source of truth for both channels, the board (with sequence
numbers) and each task's log. The hub only says "there is more": a woken
client reads what it has not seen yet from the store. So a slow or stalled
client costs one flag, never a growing queue, and replay after a reconnect
and live delivery are the same code path.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from server.errors import TooManyRequests

# Each open stream holds a socket and a task; one client may not hold too many.
MAX_STREAMS_PER_CLIENT = 16


class Signal:
    """A coalescing wake-up: many notifications while a client is busy count as one."""

    def __init__(self) -> None:
        self._flag = asyncio.Event()

    def notify(self) -> None:
        self._flag.set()

    async def wait(self, timeout: float | None) -> bool:
        """True when notified, False after ``timeout`` (time for a heartbeat); None: no limit."""
        try:
            async with asyncio.timeout(timeout):
                await self._flag.wait()
        except TimeoutError:
            return False
        self._flag.clear()
        return True


class Hub:
    """Lives on the event loop; other threads notify through call_soon_threadsafe."""

    def __init__(self) -> None:
        self._board: set[Signal] = set()
        self._tasks: dict[str, set[Signal]] = {}
        self._per_client: Counter[str] = Counter()

    @property
    def clients(self) -> int:
        return self._per_client.total()

    @contextmanager
    def _admitted(self, client: str) -> Iterator[None]:
        if self._per_client[client] >= MAX_STREAMS_PER_CLIENT:
            raise TooManyRequests(
                f"too many open streams from {client} (at most {MAX_STREAMS_PER_CLIENT})"
            )
        self._per_client[client] += 1
        try:
            yield
        finally:
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]

    def board_changed(self) -> None:
        for signal in self._board:
            signal.notify()

    def task_changed(self, task_id: str) -> None:
        for signal in self._tasks.get(task_id, ()):
            signal.notify()

    @contextmanager
    def board(self, client: str) -> Iterator[Signal]:
        with self._admitted(client), self.watch() as signal:
            yield signal

    @contextmanager
    def watch(self) -> Iterator[Signal]:
        """Board changes for the server's own parts (the autopilot): no client, no limit."""
        signal = Signal()
        self._board.add(signal)
        try:
            yield signal
        finally:
            self._board.discard(signal)

    @contextmanager
    def task(self, task_id: str, client: str) -> Iterator[Signal]:
        signal = Signal()
        with self._admitted(client):
            self._tasks.setdefault(task_id, set()).add(signal)
            try:
                yield signal
            finally:
                self._drop(task_id, signal)

    def _drop(self, task_id: str, signal: Signal) -> None:
        signals = self._tasks[task_id]
        signals.discard(signal)
        if not signals:
            del self._tasks[task_id]
