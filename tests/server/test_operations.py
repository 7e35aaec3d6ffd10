"""What an operator relies on: metrics, stream limits, and confined paths."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import requests

from server.events import MAX_STREAMS_PER_CLIENT
from server.lag import INTERVAL_S
from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess


def test_metrics_report_tasks_by_state_and_stream_clients(bare_server: ServerProcess) -> None:
    bare_server.create("one")
    bare_server.create("two")
    assert bare_server.request("GET", "/metrics", auth=False).status_code == 401
    with bare_server.request("GET", "/api/stream", stream=True):
        text = bare_server.request("GET", "/metrics").text
    assert 'wallfacer_tasks{state="backlog"} 2.0' in text
    assert "wallfacer_sse_clients 1.0" in text
    for name in ("runs_started", "runs_failed", "runs_timed_out"):
        assert f"wallfacer_{name}_total 0.0" in text
    assert "wallfacer_container_start_seconds_bucket" in text
    assert "wallfacer_accept_seconds_count" in text


def lag_metrics(server: ServerProcess) -> dict[str, float]:
    text = server.request("GET", "/metrics").text
    found = re.findall(r'^wallfacer_event_loop_lag_(\w+(?:\{le="[^"]+"\})?) (\S+)$', text, re.M)
    return {name: float(value) for name, value in found}


def test_metrics_report_the_event_loop_lag_and_a_blocked_loop_shows_in_it(
    bare_server: ServerProcess,
) -> None:
    assert isinstance(bare_server, InProcessServer)

    def late(metrics: dict[str, float]) -> float:  # lags over 100 ms so far
        return metrics['seconds_bucket{le="+Inf"}'] - metrics['seconds_bucket{le="0.1"}']

    before = lag_metrics(bare_server)
    # Blocked for 200 ms past the probe's interval: it wakes at least 200 ms late.
    bare_server.block_loop(0.2 + INTERVAL_S)
    after = lag_metrics(bare_server)
    deadline = time.monotonic() + 10
    while late(after) == late(before) and time.monotonic() < deadline:
        after = lag_metrics(bare_server)  # the probe may wake after this request
    assert late(after) > late(before)
    assert after["max_seconds"] >= 0.2 and after["seconds_sum"] - before["seconds_sum"] >= 0.2


def test_one_client_cannot_hold_unlimited_streams(bare_server: ServerProcess) -> None:
    streams = [
        bare_server.request("GET", "/api/stream", stream=True)
        for _ in range(MAX_STREAMS_PER_CLIENT)
    ]
    try:
        assert all(s.status_code == 200 for s in streams)
        refused = bare_server.request("GET", "/api/stream")
        assert refused.status_code == 429
        assert "too many open streams" in refused.json()["error"]
    finally:
        for stream in streams:
            stream.close()


@pytest.mark.parametrize(
    "path",
    ["../../etc", "/etc", "%2e%2e%2fetc", "/proc/self/cwd/../..", "relative/nowhere", "\x00"],
)
def test_repo_paths_must_be_real_repositories(bare_server: ServerProcess, path: str) -> None:
    for route in ("/api/repos", "/api/tasks"):
        body = {"path": path} if route == "/api/repos" else {"prompt": "x", "repo": path}
        response = bare_server.request("POST", route, json=body)
        # A NUL is refused as text before it is ever looked at as a path.
        assert response.status_code == (422 if "\x00" in path else 400), (route, response.text)
        assert "error" in response.json()


def test_a_symlink_to_a_repository_registers_the_real_path(
    bare_server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link-to-project"
    os.symlink(repo, link)
    response = bare_server.request("POST", "/api/repos", json={"path": str(link)})
    assert response.status_code == 201
    assert response.json()["path"] == str(repo.resolve())


def test_health_reports_readiness(bare_server: ServerProcess) -> None:
    body = requests.get(bare_server.url + "/health", timeout=10).json()
    assert body["store"] is True
    assert body["docker"] is True
    assert body["status"] == "ok" and body["reasons"] == []
