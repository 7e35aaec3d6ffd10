"""How many runs may hold a container at once; the limit can change while tasks wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Slots:
    """At most ``limit()`` runs at once; the limit can change while tasks wait."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._used = 0
        self._changed = asyncio.Condition()

    def full(self) -> bool:
        return self._used >= self._limit()

    async def __aenter__(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: not self.full())
            self._used += 1

    async def __aexit__(self, *_exc: object) -> None:
        async with self._changed:
            self._used -= 1
            self._changed.notify_all()

    async def limit_changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()
