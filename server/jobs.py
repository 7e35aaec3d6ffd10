"""Background work the server starts and must finish or cancel at shutdown.

Runs, accepts and image preparations outlive the request that started them.
Each is kept here (a task nobody references can be garbage-collected
mid-flight), its crash is logged, and ``close`` cancels and awaits whatever is
left so that a stopped server leaves no pending task behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
STUCK_S = 10.0


class Jobs:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(
        self, coro: Coroutine[Any, Any, T], answers: tuple[type[Exception], ...] = ()
    ) -> asyncio.Task[T]:
        """Start ``coro``; an exception of a type in ``answers`` is its result for
        whoever awaits it, any other is logged as a crash."""
        job = asyncio.get_running_loop().create_task(coro)
        self._running.add(job)
        job.add_done_callback(lambda done: self._reap(done, answers))
        return job

    def _reap(self, job: asyncio.Task[Any], answers: tuple[type[Exception], ...]) -> None:
        self._running.discard(job)
        if job.cancelled():
            return
        exc = job.exception()
        if exc is not None and not isinstance(exc, answers):
            log.error("background task crashed", exc_info=exc)

    async def close(self) -> None:
        """Cancel what is still running and wait until it has let go; one that has not
        after ``STUCK_S`` is named in the log, where a stop would otherwise hang mute."""
        while self._running:
            pending = list(self._running)
            for job in pending:
                job.cancel()
            _, left = await asyncio.wait(pending, timeout=STUCK_S)
            if left:
                names = ", ".join(getattr(j.get_coro(), "__qualname__", j.get_name()) for j in left)
                log.warning(
                    "still waiting for background work cancelled %gs ago: %s", STUCK_S, names
                )
                await asyncio.wait(left)
