"""Timing helpers: run baseline and candidate interleaved, report medians and their ratio."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(
    name: str,
    baseline: tuple[str, Callable[[], float]],
    candidate: tuple[str, Callable[[], float]],
    rounds: int,
    target: float,
) -> float:
    """Alternate the two so drift on a shared machine hits both alike."""
    base_times: list[float] = []
    cand_times: list[float] = []
    for _ in range(rounds):
        base_times.append(baseline[1]())
        cand_times.append(candidate[1]())
    base = statistics.median(base_times)
    cand = statistics.median(cand_times)
    ratio = cand / base
    verdict = "meets" if ratio <= target else "MISSES"
    print(f"{name}: {rounds} rounds, medians")
    print(f"  baseline  {baseline[0]:<40} {base * 1000:8.1f} ms")
    print(f"  candidate {candidate[0]:<40} {cand * 1000:8.1f} ms")
    print(f"  ratio {ratio:.3f}x  (target <= {target}x: {verdict})")
    return ratio
