"""Autopilot reaction: a slot freed -> the next backlog task's first agent line, vs
P1 dispatch (a person's Start -> the first line) in the same run.

One slot (max_parallel 1). A reaction round starts a task, puts another in the
backlog and turns the autopilot on: when the first run ends and frees the
slot, the autopilot starts the second. A P1 round starts a task by hand with
the autopilot off. Both are read from the server's own log times (the state
change, the first output entry), so neither side counts HTTP or SSE delivery.

Run: python -m bench.autopilot [ROUNDS]   (needs Docker and busybox-static)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from bench.stats import compare
from tests.engine import build_sandbox, require_docker
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess, remove_egress

TARGET = 1.2
# Per reaction round, the autopilot's own part: the slot freed -> the next task started.
TO_START: list[float] = []


def logged_at(server: ServerProcess, task_id: str, what: str) -> datetime:
    """When the task's log first has ``what``: "output", or a state it moved to."""
    for event in server.events(task_id):
        if event["type"] == what or (event["type"] == "state" and event["data"]["to"] == what):
            return datetime.fromisoformat(event["at"])
    raise AssertionError(f"task {task_id} never logged {what}")


def autopilot(server: ServerProcess, on: bool) -> None:
    server.api("PUT", "/api/config", {"autopilot": on})


def dispatch(server: ServerProcess) -> float:
    """P1: a person's Start -> the first line."""
    task = server.create("say hi")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    server.act(task["id"], "cancel")
    started = logged_at(server, task["id"], "in_progress")
    return (logged_at(server, task["id"], "output") - started).total_seconds()


def reaction(server: ServerProcess) -> float:
    """The first task's run ends (its slot is free) -> the next one's first line."""
    first = server.create("say first\nsleep 1")
    server.act(first["id"], "start")
    following = server.create("say next")
    autopilot(server, True)
    server.wait_for(following["id"], "waiting")
    autopilot(server, False)
    for task in (first, following):
        server.act(task["id"], "cancel")
    freed = logged_at(server, first["id"], "waiting")
    TO_START.append((logged_at(server, following["id"], "in_progress") - freed).total_seconds())
    return (logged_at(server, following["id"], "output") - freed).total_seconds()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    image = build_sandbox(require_docker())
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo")
        server = ServerProcess(Path(tmp) / "data", [repo], image, ("--max-parallel", "1"))
        server.start()
        try:
            dispatch(server)  # warm caches once
            reaction(server)
            compare(
                "Autopilot reaction (fake agent, server log times)",
                ("P1: Start -> first line", lambda: dispatch(server)),
                ("slot freed -> next task's first line", lambda: reaction(server)),
                rounds,
                TARGET,
            )
            own = statistics.median(TO_START) * 1000
            print(f"  of which the autopilot (freed -> started): {own:.1f} ms")
        finally:
            server.stop()
            remove_egress(server)


if __name__ == "__main__":
    main()
