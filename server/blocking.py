"""The one place blocking work (SQLite, Docker, git) leaves the event loop.

Short calls share one thread pool, sized here. Long ones get a daemon thread
each (``stream``): a container's output stream blocks for as long as the agent
runs, and ten running agents must never starve the pool that serves API
requests; and the interpreter's exit waits for a pool's threads, never for a
daemon's, so a quit does not wait out an image build.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

POOL_SIZE = 8


class Blocking:
    def __init__(self, workers: int = POOL_SIZE) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="wallfacer-io")

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def stream(self, name: str, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run a long blocking loop on its own daemon thread; await its result."""
        done: Future[T] = Future()

        def target() -> None:
            # Running, it can no longer be cancelled: an awaiter cancelled meanwhile
            # leaves the result to nobody, not to a raise on this thread.
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)

        threading.Thread(target=target, name=name, daemon=True).start()
        return asyncio.wrap_future(done)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
