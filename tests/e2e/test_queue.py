"""Runs beyond the parallel limit wait their turn, and the board is told where each stands."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.inprocess import InProcessServer


def stats_until(proc: InProcessServer, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        stats: dict[str, Any] = proc.api("GET", "/api/stats")
        if done(stats) or time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


def test_queued_runs_are_counted_apart_in_the_order_they_will_start(
    tmp_path: Path, repo: Path, sandbox_image: str
) -> None:
    proc = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "1"))
    proc.start()
    try:
        first, second, third = (proc.create(f"say {n}\nsleep 3") for n in range(3))
        for task in (first, second, third):
            proc.act(task["id"], "start")
        stats = stats_until(proc, lambda s: len(s["queue"]) == 2)
        assert stats["queue"] == [second["id"], third["id"]]
        assert stats["running"] == 1
        assert stats["counts"]["in_progress"] == 3

        proc.act(second["id"], "cancel")  # a cancelled run gives up its place at once
        stats = stats_until(proc, lambda s: s["queue"] == [third["id"]])
        assert stats["queue"] == [third["id"]]

        for task in (first, third):
            proc.wait_for(task["id"], "waiting")
        assert proc.api("GET", "/api/stats")["queue"] == []
    finally:
        proc.stop()
