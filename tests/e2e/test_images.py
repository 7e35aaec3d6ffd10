"""Sandbox images are prepared by the app: progress on the board, failures with their log."""

from __future__ import annotations

from pathlib import Path

import docker

from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess


def codex_cannot_build(
    tmp_path: Path, repo: Path, sandbox_image: str, base: str
) -> InProcessServer:
    """A server whose Codex image cannot be built on its base."""
    server = InProcessServer(
        tmp_path / "data", [repo], image=sandbox_image, env={"WALLFACER_IMAGE_BASE": base}
    )
    server.start()
    return server


def test_a_failed_build_shows_its_log_and_the_task_waits_for_a_retry(
    tmp_path: Path,
    repo: Path,
    sandbox_image: str,
    unbuildable_base: str,
    docker_client: docker.DockerClient,
) -> None:
    server = codex_cannot_build(tmp_path, repo, sandbox_image, unbuildable_base)
    tagged = ""
    try:
        server.api("PUT", "/api/config", {"env": {"OPENAI_API_KEY": "sk-test-for-the-build"}})
        task = server.create("say hi", agent="codex")
        assert task["agent"] == "codex"
        server.act(task["id"], "start")
        server.sse(
            f"/api/tasks/{task['id']}/logs",
            until=lambda evs: any("image is not available" in str(e["data"]) for e in evs),
        )
        assert server.task(task["id"])["status"] == "in_progress", "it waits, not fails"
        notes = [e["data"].get("message", "") for e in server.events(task["id"])]
        assert any("preparing the codex sandbox image" in n for n in notes)
        assert any("codex sandbox image is not available" in n and "Retry" in n for n in notes)

        images = {i["agent"]: i for i in server.api("GET", "/api/images")["images"]}
        codex = images["codex"]
        assert codex["state"] == "failed"
        assert codex["image"].startswith("wallfacer-codex:0.") and "latest" not in codex["image"]
        assert any("apt-get" in line for line in codex["log_tail"])
        assert "WALLFACER_IMAGE_BASE=" in codex["hint"]
        assert "WALLFACER_CODEX_BINARY=" in codex["hint"] and "Retry" in codex["hint"]
        assert images["claude"]["state"] == "ready", "the configured test image exists"

        # What an offline fix amounts to: the image now exists, so a Retry finds it.
        tagged = codex["image"]
        docker_client.images.get(sandbox_image).tag(tagged)
        again = server.api("POST", "/api/images/codex/prepare", status=202)
        assert {i["agent"] for i in again["images"]} == {"claude", "codex", "egress"}
        ran = server.wait_for(task["id"], "waiting", "failed", "done", timeout=120)
        assert "image" not in (ran.get("error") or ""), "it ran on the image the Retry found"
        assert server.request("POST", "/api/images/gemini/prepare").status_code == 404
    finally:
        server.stop()
        if tagged:
            docker_client.images.remove(tagged)


def test_a_task_waiting_for_a_failed_image_can_be_cancelled(
    tmp_path: Path, repo: Path, sandbox_image: str, unbuildable_base: str
) -> None:
    server = codex_cannot_build(tmp_path, repo, sandbox_image, unbuildable_base)
    try:
        server.api("PUT", "/api/config", {"env": {"OPENAI_API_KEY": "sk-test-for-the-build"}})
        task = server.create("say hi", agent="codex")
        server.act(task["id"], "start")
        server.sse(
            f"/api/tasks/{task['id']}/logs",
            until=lambda evs: any("image is not available" in str(e["data"]) for e in evs),
        )
        assert server.act(task["id"], "cancel")["status"] == "cancelled"
        seq = server.sse("/api/stream", until=lambda evs: True)[0]["data"]["seq"]
        notes = len(server.events(task["id"]))

        # A Retry that fails again: a task still waiting would join it and say so.
        server.api("POST", "/api/images/codex/prepare", status=202)
        server.sse(
            f"/api/stream?last_event_id={seq}",
            until=lambda evs: any(
                e["event"] == "image-updated" and e["data"]["state"] == "failed" for e in evs
            ),
            timeout=120,
        )
        assert len(server.events(task["id"])) == notes, "the cancelled task stopped waiting"
        assert server.task(task["id"])["status"] == "cancelled"
    finally:
        server.stop()


def test_unknown_agents_are_refused(bare_server: ServerProcess) -> None:
    response = bare_server.request("POST", "/api/tasks", json={"prompt": "x", "agent": "gemini"})
    assert response.status_code == 400
    assert "unknown agent" in response.json()["error"]
    default = bare_server.create("x")
    assert default["agent"] == "claude"


def test_the_runtime_is_described(bare_server: ServerProcess) -> None:
    runtime = bare_server.api("GET", "/api/runtime")
    assert runtime["reachable"] is True
    assert runtime["kind"] == "docker"
    assert runtime["socket"].startswith(("http+docker://", "unix://"))
    assert runtime["version"]


def test_with_the_engine_gone_tasks_wait_instead_of_failing(
    tmp_path: Path, repo: Path, sandbox_image: str
) -> None:
    server = ServerProcess(
        tmp_path / "data",
        [repo],
        image=sandbox_image,
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    server.start()
    try:
        health = server.request("GET", "/health", auth=False)
        assert health.status_code == 200, "alive: a restart would not bring the engine back"
        assert health.json() == {
            **health.json(),
            "status": "degraded",
            "reasons": ["the container engine is unreachable"],
            "docker": False,
            "store": True,
        }
        runtime = server.api("GET", "/api/runtime")
        assert runtime["reachable"] is False and "no-engine.sock" in runtime["socket"]
        tasks = [server.create(f"say {n}") for n in range(3)]
        for task in tasks:
            server.act(task["id"], "start")
        for task in tasks:
            server.sse(
                f"/api/tasks/{task['id']}/logs",
                until=lambda evs: any("engine is unreachable" in str(e["data"]) for e in evs),
            )
            assert server.task(task["id"])["status"] == "in_progress"
        for task in tasks:
            assert server.act(task["id"], "cancel")["status"] == "cancelled"
    finally:
        server.stop()
