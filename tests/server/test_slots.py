"""The queue for a slot: first come first served, and honest about who waits."""

from __future__ import annotations

import asyncio

from server.slots import Slots
from tests import aio


def test_waiters_start_in_the_order_they_asked_and_leave_the_queue_when_they_give_up() -> None:
    async def scenario() -> list[str]:
        limit = 1
        slots: Slots[str] = Slots(lambda: limit)
        started: list[str] = []
        release = asyncio.Event()

        async def run(key: str) -> None:
            async with slots.hold(key):
                started.append(key)
                await release.wait()

        tasks = {key: asyncio.create_task(run(key)) for key in "abcd"}
        await asyncio.sleep(0)
        assert started == ["a"] and slots.queue() == ["b", "c", "d"]

        tasks["c"].cancel()  # gave up while waiting
        await asyncio.gather(tasks["c"], return_exceptions=True)
        assert slots.queue() == ["b", "d"]

        limit = 2  # a raised limit lets the next in line go, and only it
        await slots.limit_changed()
        for _ in range(100):  # a few turns of the loop, not a time
            await asyncio.sleep(0)
        assert started == ["a", "b"] and slots.queue() == ["d"]

        release.set()
        await asyncio.gather(tasks["a"], tasks["b"], tasks["d"])
        assert slots.queue() == [] and not slots.full()
        return started

    assert aio.run(scenario()) == ["a", "b", "d"]
