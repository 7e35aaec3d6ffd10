"""P1 dispatch: POST start -> first agent line over SSE, vs a raw `docker run` printing one line.

Run: python -m bench.p1_dispatch [ROUNDS]   (needs Docker and busybox-static)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import compare
from tests.engine import build_sandbox, require_docker
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess

TARGET = 1.15


def raw_docker_run(image: str) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["docker", "run", "--rm", image, "-p", "say hi"], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    return elapsed


def wallfacer_dispatch(server: ServerProcess) -> float:
    task = server.create("say hi")
    start = time.perf_counter()
    server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{task['id']}/logs",
        until=lambda evs: any(e["event"] == "output" for e in evs),
    )
    elapsed = time.perf_counter() - start
    server.wait_for(task["id"], "waiting")
    server.act(task["id"], "cancel")
    return elapsed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    image = build_sandbox(require_docker())
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo")
        server = ServerProcess(Path(tmp) / "data", [repo], image)
        server.start()
        try:
            wallfacer_dispatch(server)  # warm caches on both sides once
            raw_docker_run(image)
            compare(
                "P1 dispatch",
                ("docker run (CLI), first stdout line", lambda: raw_docker_run(image)),
                ("POST start -> first line on SSE", lambda: wallfacer_dispatch(server)),
                rounds,
                TARGET,
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
