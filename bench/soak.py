"""Soak: 5 tasks looping through the real server and engine, for a given time.

Each task's run ends waiting for the user; the bench answers it at once, so
its agent session resumes in a new container, over and over (a run that
fails is resumed alike, and counted). Once a minute it samples the server's
resident memory, its open file descriptors and the store's size (database
and WAL), prints the samples as a table, and at the end the least-squares
slope of each after a warm-up (the first 20% of the samples, and at least
the one taken before any run): a leak shows as a slope that stays up once
caches and pools are full.

Targets (2 hours): RSS slope <= 1 MB/hour after warm-up; fds flat.

Run: python -m bench.soak [--minutes N]   (20 by default)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.engine import build_sandbox, require_docker
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess, remove_egress

TASKS = 5
SAMPLE_EVERY_S = 60.0
POLL_S = 0.5
WARM_UP = 0.2
TARGET_RSS_MB_PER_HOUR = 1.0
# One turn: some output, a file changed in the workspace, a pause as a model takes.
TURN = "chatty 3 20\nappend soak.txt one more turn\nsleep 2"
MB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    minutes: float
    runs: int
    rss_mb: float
    fds: int
    store_mb: float


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def store_mb(data_dir: Path) -> float:
    files = [data_dir / "wallfacer.db", data_dir / "wallfacer.db-wal"]
    return sum(f.stat().st_size for f in files if f.exists()) / MB


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs; 0 for fewer than two points."""
    if len(xs) < 2:
        return 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


class Loop:
    """Keeps TASKS tasks running: answers each one as soon as it waits."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.ids = [server.create(TURN, title=f"soak {n}")["id"] for n in range(TASKS)]
        self.runs = 0
        self.failed = 0

    def start(self) -> None:
        for task_id in self.ids:
            self.server.act(task_id, "start")
            self.runs += 1

    def tick(self) -> None:
        for task_id in self.ids:
            status = self.server.task(task_id)["status"]
            if status == "waiting":
                self.server.act(task_id, "feedback", {"message": TURN})
            elif status == "failed":
                self.failed += 1
                self.server.act(task_id, "resume")
            else:
                continue
            self.runs += 1


def soak(root: Path, minutes: float) -> list[Sample]:
    image = build_sandbox(require_docker())
    server = ServerProcess(root / "data", [make_repo(root / "repo")], image=image)
    server.start()
    try:
        assert server.proc is not None
        pid = server.proc.pid
        server.api("PUT", "/api/config", {"max_parallel": TASKS})
        loop = Loop(server)
        started = time.monotonic()
        loop.start()
        samples: list[Sample] = []
        next_sample = started
        print(f"{'min':>6} {'runs':>6} {'failed':>6} {'RSS MB':>8} {'fds':>5} {'store MB':>9}")
        while True:
            now = time.monotonic()
            if now >= next_sample:
                sample = Sample(
                    (now - started) / 60,
                    loop.runs,
                    rss_mb(pid),
                    fds(pid),
                    store_mb(server.data_dir),
                )
                samples.append(sample)
                print(
                    f"{sample.minutes:6.1f} {sample.runs:6d} {loop.failed:6d} "
                    f"{sample.rss_mb:8.1f} {sample.fds:5d} {sample.store_mb:9.1f}",
                    flush=True,
                )
                next_sample += SAMPLE_EVERY_S
                if sample.minutes >= minutes:
                    return samples
            loop.tick()
            time.sleep(POLL_S)
    finally:
        server.stop()
        remove_egress(server)


def report(samples: list[Sample]) -> None:
    kept = samples[max(1, int(len(samples) * WARM_UP)) :]
    hours = [s.minutes / 60 for s in kept]
    rss = slope(hours, [s.rss_mb for s in kept])
    fd = slope(hours, [float(s.fds) for s in kept])
    size = slope(hours, [s.store_mb for s in kept])
    fd_range = (min(s.fds for s in kept), max(s.fds for s in kept))
    ok = "meets" if rss <= TARGET_RSS_MB_PER_HOUR else "MISSES"
    print(
        f"after warm-up ({len(kept)} of {len(samples)} samples, from minute {kept[0].minutes:.1f}):"
    )
    print(f"  RSS slope    {rss:+8.2f} MB/hour (target <= {TARGET_RSS_MB_PER_HOUR}: {ok})")
    print(f"  fds slope    {fd:+8.2f} /hour (range {fd_range[0]}..{fd_range[1]}; target flat)")
    print(f"  store slope  {size:+8.2f} MB/hour")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    minutes = parser.parse_args().minutes
    print(f"Soak: {TASKS} looping tasks for {minutes:g} minutes, a sample a minute")
    with tempfile.TemporaryDirectory() as tmp:
        report(soak(Path(tmp), minutes))


if __name__ == "__main__":
    main()
