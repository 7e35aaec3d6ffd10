"""Event-loop lag: how late the loop wakes a task that sleeps a fixed interval.

Every request, stream and run of the server shares one event loop, so a call
that blocks it (a store read, a large body built on it) delays all of them
by as much. The probe measures that from the inside, all the time, into
histogram counts that ``server.metrics`` exports; it has no dependency of its
own, since the metrics are only built when first scraped.
"""

from __future__ import annotations

import asyncio
import bisect

# Often enough to see a stall of a few tens of ms, rare enough to cost nothing.
INTERVAL_S = 0.05
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LagProbe:
    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.counts = [0] * (len(BUCKETS) + 1)  # per bucket, not cumulative; the last is +Inf
        self.sum = 0.0
        self.max = 0.0

    def observe(self, lag: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, lag)] += 1
        self.sum += lag
        self.max = max(self.max, lag)

    async def run(self) -> None:
        """Until cancelled (at shutdown, with the server's other background work)."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            self.observe(max(0.0, loop.time() - start - self.interval))
