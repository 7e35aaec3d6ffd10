"""P8 search at scale: 10,000 tasks in a real store, searched over HTTP.

- GET /api/tasks?q= (a word, a word's start, two words, a status-filtered word)
  p50 and p95, target p50 < 50 ms; against listing the first page (no search)
  measured interleaved in the same run, as a ratio;
- in the store alone, the FTS5 match against a plain LIKE scan of the same columns.

Run: python -m bench.p8_search
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.p4_board import percentile
from server.model import Task
from server.states import Status
from server.store import Output, Store
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess

TASKS = 10_000
ROUNDS = 100
WORDS = [
    "login",
    "redirect",
    "cache",
    "schema",
    "migration",
    "docs",
    "release",
    "parser",
    "flaky",
    "test",
    "timeout",
    "retry",
    "upload",
    "thumbnail",
    "billing",
    "invoice",
    "search",
    "index",
    "export",
    "csv",
    "locale",
    "currency",
    "webhook",
]
QUERIES = ["invoice", "migr", "flaky timeout", "q=webhook&status=done"]


def seed(path: Path, repo: Path) -> None:
    """Prompts of a dozen words, results of a few, most tasks finished."""
    rng = random.Random(8)
    store = Store(path)
    mix = [Status.DONE] * 90 + [Status.CANCELLED] * 4 + [Status.BACKLOG] * 3 + [Status.FAILED] * 3
    for n in range(TASKS):
        prompt = f"task {n}: " + " ".join(rng.choices(WORDS, k=12))
        task = store.create_task(Task(str(uuid.uuid4()), prompt, Status.BACKLOG, str(repo)))
        status = mix[n % len(mix)]
        if status is not Status.BACKLOG:
            store.update_task(task.id, status=status)
            result = "Changed " + " ".join(rng.choices(WORDS, k=4))
            store.append_outputs(task.id, [Output('{"events": []}', result=result)], 1, 2**40)
    store.close()


def http_times(server: ServerProcess) -> tuple[list[float], list[float]]:
    """Search and first-page times, interleaved so drift hits both alike."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {server.token}"
    searches: list[float] = []
    pages: list[float] = []
    for n in range(ROUNDS * len(QUERIES)):
        query = QUERIES[n % len(QUERIES)]
        query = query if "=" in query else f"q={query}"
        for path, times in ((f"/api/tasks?{query}", searches), ("/api/tasks", pages)):
            start = time.perf_counter()
            response = http.get(server.url + path, timeout=30)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
    return searches, pages


def store_times(path: Path) -> tuple[float, float]:
    """Median ms of one FTS5 match and one LIKE scan, counting all matches of a word."""
    db = sqlite3.connect(path)
    fts = "SELECT COUNT(*) FROM task_search WHERE task_search MATCH ?"
    like = "SELECT COUNT(*) FROM tasks WHERE title LIKE ?1 OR prompt LIKE ?1 OR result LIKE ?1"
    a: list[float] = []
    b: list[float] = []
    for word in WORDS * 5:
        for sql, arg, times in ((fts, f'"{word}"*', a), (like, f"%{word}%", b)):
            start = time.perf_counter()
            db.execute(sql, (arg,)).fetchone()
            times.append(time.perf_counter() - start)
    db.close()
    return percentile(a, 50) * 1000, percentile(b, 50) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = make_repo(root / "repo")
        seed(root / "data" / "wallfacer.db", repo)
        server = ServerProcess(root / "data", [repo], image="unused:0")
        server.start()
        try:
            searches, pages = http_times(server)
        finally:
            server.stop()
        fts, like = store_times(root / "data" / "wallfacer.db")
    s50, s95 = percentile(searches, 50) * 1000, percentile(searches, 95) * 1000
    p50, p95 = percentile(pages, 50) * 1000, percentile(pages, 95) * 1000
    print(f"P8 search with {TASKS} tasks, {len(searches)} searches ({', '.join(QUERIES)})")
    print(f"  GET /api/tasks?q=  p50 {s50:.1f} ms, p95 {s95:.1f} ms (target p50 < 50)")
    print(f"  GET /api/tasks     p50 {p50:.1f} ms, p95 {p95:.1f} ms (baseline: first page)")
    print(f"  ratio search/page p50: {s50 / p50:.2f}x")
    print(f"  store: FTS5 match {fts:.2f} ms vs LIKE scan {like:.2f} ms: {fts / like:.3f}x")


if __name__ == "__main__":
    main()
