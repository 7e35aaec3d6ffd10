"""The data dir's disk fills: writes are refused with a clear error (never a 500), the
store stays whole, and work goes on once space is freed."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.engine import containers_of
from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess
from tests.smalldisk import fill, tmpfs


@pytest.fixture
def server(tmp_path: Path, repo: Path, sandbox_image: str) -> Iterator[ServerProcess]:
    """The app with its data dir on a small disk of its own."""
    with tmpfs(tmp_path / "data", size_mb=32) as data:
        proc = InProcessServer(data, [repo], image=sandbox_image)
        proc.start()
        try:
            yield proc
        finally:
            proc.stop()


def integrity(data_dir: Path) -> str:
    db = sqlite3.connect(f"file:{data_dir / 'wallfacer.db'}?mode=ro", uri=True)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def assert_full(response: object) -> None:
    status, body = response.status_code, response.json()  # type: ignore[attr-defined]
    assert status == 507, (status, body)
    assert "disk" in body["error"] and "full" in body["error"], body


def test_a_full_disk_refuses_writes_clearly_and_work_resumes_once_freed(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    reviewed = server.create("write a.txt a")
    server.act(reviewed["id"], "start")
    server.wait_for(reviewed["id"], "waiting")
    queued = server.create("write b.txt b")
    running = server.create("say first\nsleep 2\nsay said on a full disk\nwrite r.txt r")
    server.act(running["id"], "start")
    server.sse(
        f"/api/tasks/{running['id']}/logs", until=lambda evs: any("Thinking" in str(e) for e in evs)
    )

    filler = fill(server.data_dir)
    assert_full(server.request("POST", "/api/tasks", json={"prompt": "more"}))
    assert_full(server.request("POST", f"/api/tasks/{queued['id']}/start"))
    assert_full(server.request("PUT", "/api/config", json={"max_parallel": 3}))
    health = server.api("GET", "/health")
    assert (
        health["status"] == "degraded" and "the data directory's disk is full" in health["reasons"]
    )
    (container,) = containers_of(docker_client, running["id"])
    docker_client.containers.get(container).wait()  # the agent has said all it will
    deadline = time.monotonic() + 60
    while "its output waits for space" not in server.log():
        assert time.monotonic() < deadline, server.task(running["id"])
        time.sleep(0.05)
    assert server.task(running["id"])["status"] == "in_progress", "the run waits, not fails"
    assert server.task(queued["id"])["status"] == "backlog"
    assert integrity(server.data_dir) == "ok"

    filler.unlink()
    assert server.api("GET", "/health")["status"] == "ok"
    assert server.wait_for(running["id"], "waiting")["error"] == ""
    said = [e for e in server.events(running["id"]) if "said on a full disk" in str(e)]
    assert len(said) == 1, said
    server.act(queued["id"], "start")
    server.wait_for(queued["id"], "waiting")
    server.act(reviewed["id"], "accept")
    server.wait_for(reviewed["id"], "done")
    assert server.create("after")["status"] == "backlog"
    assert integrity(server.data_dir) == "ok"
