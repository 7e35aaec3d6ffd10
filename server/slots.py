"""How many runs may hold a container at once; the limit can change while tasks wait.

Runs waiting for a slot form a queue, served first come first served, so the
position the board shows for a queued task is the order it will start in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

K = TypeVar("K")


class Slots(Generic[K]):
    """At most ``limit()`` runs at once; the limit can change while tasks wait."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._used = 0
        self._waiting: list[K] = []  # keys in the order they asked
        self._changed = asyncio.Condition()

    def full(self) -> bool:
        return self._used >= self._limit()

    def queue(self) -> list[K]:
        """The keys waiting for a slot, the next to start first."""
        return list(self._waiting)

    @contextlib.asynccontextmanager
    async def hold(self, key: K) -> AsyncIterator[None]:
        """A slot for ``key``, once every key that asked before it has had one."""
        self._waiting.append(key)  # at once: the queue shows it before any await
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: not self.full() and self._waiting[0] is key)
                self._used += 1
        finally:
            self._waiting.remove(key)
            async with self._changed:
                self._changed.notify_all()  # the next in line may go (or the one behind a leaver)
        try:
            yield
        finally:
            async with self._changed:
                self._used -= 1
                self._changed.notify_all()

    async def limit_changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()
