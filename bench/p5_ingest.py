"""P5 ingest: a chatty agent's 100 MB of stream-json into the log, one task, then ten at once.

In-process, on the ingest path a run uses (``output.Recorder.follow``: lines
split from byte chunks, read ahead, parsed, redacted, stored in batches, old
output dropped past the 100 MB default cap), so the figure is the app's and
not Docker's. As much output then goes through real containers and the real
server, which adds Docker's log stream and the board's notifications: the same
replies (committed to the task's repository, printed by the fake agent's
``replay``), and, as the worst case per byte, one short reply over and over
(``flood``: 383-byte lines, each costing what a long one does).

Through the real server, MB/s stored leaves out what a start and a review cost
whatever the output (container start, the diff, the status), measured in the same
run with a task that prints one replay; the start-to-review rate is printed too.

Figures: MB/s of agent output stored (target >= 50), the process's RSS growth
at its peak (target < 50 MB), the database file's size, and the longest write
of a batch (the store's lock held; those that drop old output among them).
Baseline, in the same run: the same bytes split into lines and stored as bare
rows, a transaction per 4 MB: the floor any log pays on this machine.

Run: python -m bench.p5_ingest [MB] [--no-docker]
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import sqlite3
import string
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.agents import adapter
from runner.lines import split_lines
from server.config import ConfigStore, RuntimeConfig
from server.model import Task
from server.output import Recorder, RunState
from server.states import Status
from server.store import Store
from tests.engine import build_sandbox, require_docker
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess

MB = 1024 * 1024
TARGET_MB_S = 50
TARGET_RSS_MB = 50
TASKS = 10
SECRET = "sk-ant-api03-bench-0123456789abcdef"  # so redaction runs, as it does for real


def stream_json(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of what Claude Code prints while it works, in chunks as a
    container's stream delivers: ``replies`` over and over."""
    block = replies()
    sent = 0
    while sent < total:
        for start in range(0, len(block), chunk):
            piece = block[start : start + chunk]
            yield piece
            sent += len(piece)


@functools.cache
def replies() -> bytes:
    """Replies with text and a tool call, tool results of a few KB (code-like lines
    of varied words, so that they compress as real output does). Made once, before
    any timing: making them took 3 CPU-seconds, counted in every figure (ten times
    over with ten tasks), which hid half of what the baseline and ingest cost."""
    rng = random.Random(5)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(2000)]
    # As often as in real text; accumulated once, not on every draw.
    zipf = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))

    def prose(n: int) -> str:
        return " ".join(rng.choices(words, cum_weights=zipf, k=n))

    def code(n: int) -> str:
        return "".join(
            f"    {prose(1)}_{rng.randint(0, 999)} = {prose(3)}({rng.random():.4f})\n"
            for _ in range(n)
        )

    lines = []
    for n in range(200):
        text = {"type": "text", "text": prose(rng.randint(20, 200))}
        call = {"type": "tool_use", "id": f"toolu_{n}", "name": "Read", "input": {"path": prose(1)}}
        usage = {"input_tokens": 10, "output_tokens": 5}
        reply = {"id": f"msg_{n}", "role": "assistant", "content": [text, call], "usage": usage}
        lines.append({"type": "assistant", "session_id": "s", "message": reply})
        result = {
            "type": "tool_result",
            "tool_use_id": f"toolu_{n}",
            "content": code(rng.randint(5, 150)),
        }
        lines.append({"type": "user", "session_id": "s", "message": {"content": [result]}})
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def rss_mb(pid: str = "self") -> tuple[float, float]:
    """(current, peak) resident memory of a process."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid: str = "self") -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class TimedStore(Store):
    """Times each write from when it holds the lock: what it makes others wait."""

    longest = 0.0

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with super()._tx() as db:
            start = time.perf_counter()
            yield db
            self.longest = max(self.longest, time.perf_counter() - start)


def in_process(root: Path, total: int, tasks: int) -> tuple[float, float, float, float]:
    """MB/s of output stored, peak RSS growth in MB, the file's size in MB and the
    longest batch write in ms."""
    store = TimedStore(root / "wallfacer.db")
    (root / "env").write_text(f"ANTHROPIC_API_KEY={SECRET}\n")
    config = ConfigStore(root, RuntimeConfig())
    parse = adapter("claude", {}).parser()
    ids = [store.create_task(Task(str(uuid.uuid4()), "p", Status.IN_PROGRESS, "/r")).id]
    ids += [
        store.create_task(Task(str(uuid.uuid4()), "p", Status.IN_PROGRESS, "/r")).id
        for _ in range(tasks - 1)
    ]

    def ingest(task_id: str) -> None:
        recorder = Recorder(store, task_id, parse, RunState())
        recorder.follow(split_lines(stream_json(total)), config, threading.Event(), lambda: None)

    reset_peak()
    before, _ = rss_mb()
    start = time.perf_counter()
    threads = [threading.Thread(target=ingest, args=(task_id,)) for task_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    _, peak = rss_mb()
    store.close()
    size = (root / "wallfacer.db").stat().st_size / MB
    return total * tasks / MB / elapsed, peak - before, size, store.longest * 1000


def bare_rows(root: Path, total: int) -> float:
    """MB/s of the same bytes as bare rows: a transaction per 4 MB, nothing else."""
    db = sqlite3.connect(root / "bare.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, data TEXT)")
    start = time.perf_counter()
    batch: list[tuple[str]] = []
    size = 0
    for line in split_lines(stream_json(total)):
        batch.append((line,))
        size += len(line)
        if size >= 4 * MB:
            db.execute("BEGIN")
            db.executemany("INSERT INTO log (data) VALUES (?)", batch)
            db.execute("COMMIT")
            batch, size = [], 0
    db.executemany("INSERT INTO log (data) VALUES (?)", batch)
    elapsed = time.perf_counter() - start
    db.close()
    return total / MB / elapsed


def through_docker(
    root: Path, megabytes: int, tasks: int, short: bool
) -> tuple[float, float, float]:
    """MB printed in all, seconds from start to review, for ``tasks`` tasks printing
    ``megabytes`` each at once (``replies``, or ``short``: ``flood``'s one reply), and
    the server's peak RSS growth, through the real server and containers."""
    image = build_sandbox(require_docker())
    block = replies()
    repo = make_repo(root / "repo", {"replies.jsonl": block.decode()})
    times = max(1, megabytes * MB // len(block))
    prompt = f"flood {megabytes}" if short else f"replay replies.jsonl {times}"
    sent = megabytes if short else times * len(block) / MB
    server = ServerProcess(root / "data", [repo], image=image)
    server.start()
    try:
        server.api("PUT", "/api/config", {"max_parallel": tasks})
        ids = [server.create(prompt)["id"] for _ in range(tasks)]
        assert server.proc is not None
        pid = str(server.proc.pid)
        reset_peak(pid)
        before, _ = rss_mb(pid)
        start = time.perf_counter()
        for task_id in ids:
            server.act(task_id, "start")
        for task_id in ids:
            server.wait_for(task_id, "waiting", timeout=600)
        elapsed = time.perf_counter() - start
        _, peak = rss_mb(pid)
    finally:
        server.stop()
    return sent * tasks, elapsed, peak - before


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main() -> None:
    megabytes = int(next((a for a in sys.argv[1:] if a.isdigit()), "100"))
    total = megabytes * MB
    print(f"P5 ingest: {megabytes} MB of stream-json per task, the default 100 MB cap")
    replies()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare = bare_rows(root, total)
        print(f"  baseline: bare rows, a transaction per 4 MB   {bare:7.1f} MB/s")
        for tasks in (1, TASKS):
            (root / str(tasks)).mkdir()
            rate, rss, size, longest = in_process(root / str(tasks), total, tasks)
            print(
                f"  in-process, {tasks:2d} task(s) at once   {rate:7.1f} MB/s "
                f"({rate / bare:.2f}x baseline; target >= {TARGET_MB_S}: "
                f"{verdict(rate >= TARGET_MB_S)}), RSS +{rss:.0f} MB (target < {TARGET_RSS_MB}: "
                f"{verdict(rss < TARGET_RSS_MB)}), file {size:.0f} MB, "
                f"longest write {longest:.0f} ms"
            )
        if "--no-docker" not in sys.argv:
            for short, tasks in itertools.product((False, True), (1, TASKS)):
                # What a start and a review cost apart from the output: one replay each.
                few, fixed, _ = through_docker(root / f"fixed{short}{tasks}", 1, tasks, short)
                sent, elapsed, rss = through_docker(
                    root / f"docker{short}{tasks}", megabytes, tasks, short
                )
                stored = (sent - few) / (elapsed - fixed)
                name = "flood's short lines" if short else "the same replies"
                print(
                    f"  real server and containers, {name}, {tasks:2d} task(s)   "
                    f"{stored:7.1f} MB/s stored (target >= {TARGET_MB_S}: "
                    f"{verdict(stored >= TARGET_MB_S)}; start to review {sent / elapsed:.1f} "
                    f"MB/s, of which {fixed:.2f} s is a start and a review), server RSS "
                    f"+{rss:.0f} MB (target < {TARGET_RSS_MB}: {verdict(rss < TARGET_RSS_MB)})"
                )


if __name__ == "__main__":
    main()
