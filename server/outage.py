"""Waiting out a container engine that has gone away, the same way everywhere.

Runs (a start, a run whose engine restarted under it) and recovery (reattaching
at startup) all retry their step while the engine is unreachable, noting it
once, so a broken runtime does not fail the board task by task (a circuit
breaker in effect); only after ``ENGINE_WAIT_S`` does a step give up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from runner.errors import RuntimeUnavailable

ENGINE_WAIT_S = 10 * 60.0
# Retries start soon and back off to every 5 s: an engine restarted on purpose is
# back in a second or two, and its tasks should not wait 5 s more to notice.
ENGINE_FIRST_RETRY_S = 0.25
ENGINE_RETRY_S = 5.0
T = TypeVar("T")


async def until_engine(
    step: Callable[[], Awaitable[T]],
    note: Callable[[], Awaitable[None]],
    wanted: Callable[[], Awaitable[bool]],
) -> T | None:
    """``step``'s result, retried while the engine is unreachable (RuntimeUnavailable
    once ENGINE_WAIT_S have passed); None once ``wanted`` says the wait is not."""
    deadline = time.monotonic() + ENGINE_WAIT_S
    noted = False
    pause = ENGINE_FIRST_RETRY_S
    while True:
        try:
            return await step()
        except RuntimeUnavailable:
            if time.monotonic() > deadline:
                raise
            if not noted:
                await note()
                noted = True
        await asyncio.sleep(pause)
        pause = min(pause * 2, ENGINE_RETRY_S)
        if not await wanted():
            return None
