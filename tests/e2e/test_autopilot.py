"""The autopilot on the real engine with the fake agent: backlog cards start by
themselves, one slot at a time, in dependency order, at their scheduled time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import docker

from tests.engine import containers_of
from tests.inprocess import InProcessServer
from tests.polling import until
from tests.server_process import ServerProcess


def started_at(server: ServerProcess, task_id: str) -> str:
    return next(  # type: ignore[no-any-return]
        e["at"]
        for e in server.events(task_id)
        if e["type"] == "state" and e["data"]["to"] == "in_progress"
    )


def ended_at(server: ServerProcess, task_id: str) -> str:
    return next(  # type: ignore[no-any-return]
        e["at"]
        for e in server.events(task_id)
        if e["type"] == "state" and e["data"]["from"] == "in_progress"
    )


def autopilot(server: ServerProcess, on: bool) -> dict[str, Any]:
    return server.api("PUT", "/api/config", {"autopilot": on})  # type: ignore[no-any-return]


def test_a_plan_runs_by_itself_in_dependency_order(
    tmp_path: Path, repo: Path, sandbox_image: str
) -> None:
    server = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "1"))
    server.start()
    try:
        # The board shows c, b, a from the top; each waits for the one below it.
        plan = [
            {"ref": "c", "prompt": "write c.txt third", "depends_on": ["b"]},
            {"ref": "b", "prompt": "write b.txt second", "depends_on": ["a"]},
            {"ref": "a", "prompt": "write a.txt first"},
        ]
        refs = server.api("POST", "/api/tasks/batch", {"tasks": plan}, status=201)["refs"]
        assert server.task(refs["a"])["status"] == "backlog", "off by default"
        assert autopilot(server, True)["autopilot"] is True

        for ref, waiting in (("a", ["b", "c"]), ("b", ["c"]), ("c", [])):
            server.wait_for(refs[ref], "waiting")
            for later in waiting:
                task = server.task(refs[later])
                assert task["status"] == "backlog"
                assert task["blocked_by"][0]["id"] in refs.values()
            server.act(refs[ref], "accept")
            server.wait_for(refs[ref], "done")
        assert started_at(server, refs["b"]) > ended_at(server, refs["a"])
        assert started_at(server, refs["c"]) > ended_at(server, refs["b"])
    finally:
        server.stop()


def test_one_slot_runs_one_task_at_a_time_and_a_refusal_is_said_once(
    tmp_path: Path, repo: Path, sandbox_image: str
) -> None:
    server = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "1"))
    server.start()
    try:
        autopilot(server, True)
        # Codex has no image of the test's and no credentials: it may not start.
        refused = server.create("say never", agent="codex")
        first = server.create("say one\nsleep 1")
        second = server.create("say two")
        for task in (first, second):
            server.wait_for(task["id"], "waiting")
        earlier, later = sorted((first["id"], second["id"]), key=lambda i: started_at(server, i))
        assert started_at(server, later) > ended_at(server, earlier)
        assert server.api("GET", "/api/stats")["queue"] == [], "the autopilot never queues"
        assert server.task(refused["id"])["status"] == "backlog"
        notes = [
            e["data"]["message"]
            for e in server.events(refused["id"])
            if "autopilot" in e["data"].get("message", "")
        ]
        assert len(notes) == 1 and "credentials" in notes[0], notes
    finally:
        server.stop()


def test_a_scheduled_task_starts_only_at_its_time(server: ServerProcess) -> None:
    when = datetime.now(UTC) + timedelta(seconds=4)
    task = server.create("say on time", scheduled_at=when.isoformat())
    assert server.task(task["id"])["status"] == "backlog", "the autopilot is off, and it is early"
    server.wait_for(task["id"], "waiting")
    started = datetime.fromisoformat(started_at(server, task["id"]))
    assert started >= when
    server.act(task["id"], "cancel")
    retried = server.act(task["id"], "retry")  # its time has passed: it waits for a Start
    assert retried["status"] == "backlog" and retried["scheduled_at"] == ""


def test_a_blocked_scheduled_task_waits_for_its_dependency(server: ServerProcess) -> None:
    first = server.create("say first")
    then = server.create("say then", depends_on=[first["id"]], scheduled_at="2000-01-01T00:00:00Z")
    server.act(first["id"], "start")
    server.wait_for(first["id"], "waiting")
    assert server.task(then["id"])["status"] == "backlog"
    server.act(first["id"], "cancel")  # a cancelled dependency still blocks
    assert server.task(then["id"])["blocked_by"] == [
        {"id": first["id"], "title": "say first", "status": "cancelled"}
    ]
    server.api("PATCH", f"/api/tasks/{then['id']}", {"depends_on": []})
    server.wait_for(then["id"], "waiting")


def test_the_toggle_outlives_a_restart(tmp_path: Path, repo: Path) -> None:
    def serve() -> InProcessServer:
        server = InProcessServer(tmp_path / "data", [repo], image="wallfacer-test-never-used:0")
        server.start()
        return server

    server = serve()
    try:
        assert server.api("GET", "/api/config")["autopilot"] is False
        refused = server.request("PUT", "/api/config", json={"autopilot": "yes"})
        assert refused.status_code == 400 and refused.json()["field"] == "autopilot"
        autopilot(server, True)
    finally:
        server.stop()
    server = serve()
    try:
        assert server.api("GET", "/api/config")["autopilot"] is True
    finally:
        server.stop()


def test_the_next_card_is_made_ahead_while_the_slot_is_taken(
    tmp_path: Path, repo: Path, sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    server = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "1"))
    server.start()
    try:
        later = server.create("sleep 2\nsay next")
        first = server.create("sleep 3\nsay first")  # the top card: made last
        autopilot(server, True)
        server.wait_for(first["id"], "in_progress")
        made = until(
            "the next card made ahead", lambda: containers_of(docker_client, later["id"], "created")
        )
        assert server.task(later["id"])["status"] == "backlog"

        running = until("its run", lambda: containers_of(docker_client, later["id"], "running"))
        assert running == made, "the slot freed, the start only started it"
        server.wait_for(later["id"], "waiting")
        assert started_at(server, later["id"]) > ended_at(server, first["id"])
    finally:
        server.stop()
