"""The real Codex CLI, in the bundled image the app builds from an npm prefix,
against a local Responses API stub, behind the egress proxy.

Slow the first time (the image is built). Set WALLFACER_SKIP_REAL_AGENT=1 to
skip it locally; under CI=true it always runs, and fails if npm or the engine
is missing. Run with ``-s`` to see the timings it measures.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.deploy.images import codex_prefix
from tests.e2e.real_agent import serve_real_agent
from tests.gitrepo import commit, file_on_branch
from tests.openai_stub import AGAIN, FILE, FIRST, VERIFIER, OpenAIStub
from tests.polling import until
from tests.server_process import ServerProcess, added_text

if os.environ.get("WALLFACER_SKIP_REAL_AGENT") == "1" and os.environ.get("CI") != "true":
    pytest.skip("WALLFACER_SKIP_REAL_AGENT=1", allow_module_level=True)


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    stub = OpenAIStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def codex_server(
    tmp_path: Path, repo: Path, docker_client: docker.DockerClient, stub: OpenAIStub
) -> Iterator[ServerProcess]:
    yield from serve_real_agent(
        tmp_path,
        repo,
        docker_client,
        f"OPENAI_BASE_URL=http://host.docker.internal:{stub.port}/v1\n"
        "OPENAI_API_KEY=sk-openai-dummy-for-the-stub\n",  # the app passes it as CODEX_API_KEY
        ("WALLFACER_CODEX_BINARY", codex_prefix()),  # the npm prefix, not the binary
    )


def _outputs(server: ServerProcess, task_id: str) -> list[dict[str, Any]]:
    return [
        e for ev in server.events(task_id) if ev["type"] == "output" for e in ev["data"]["events"]
    ]


def _first_line_after(server: ServerProcess, task_id: str, seen: int, timeout: float) -> float:
    """Seconds until the run's first parsed output shows up (polled, ~50 ms)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if len(_outputs(server, task_id)) > seen:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"no output within {timeout} s: {server.log()[-3000:]}")


def test_the_real_codex_cli_writes_resumes_and_lands(
    codex_server: ServerProcess, repo: Path, stub: OpenAIStub
) -> None:
    server = codex_server
    timings: dict[str, float] = {}

    began = time.monotonic()
    server.api("POST", "/api/images/codex/prepare", status=202)
    deadline = time.monotonic() + 900
    while True:
        images = {i["agent"]: i for i in server.api("GET", "/api/images")["images"]}
        if images["codex"]["state"] in ("ready", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert images["codex"]["state"] == "ready", images["codex"]
    assert images["codex"]["image"].startswith("wallfacer-codex:")
    timings["image ready (cold build if it was missing)"] = time.monotonic() - began

    flow = time.monotonic()
    commit(repo, {"AGENTS.md": "The repo's own rule.\n"}, "Add AGENTS.md")
    server.api("PUT", "/api/config", {"instructions": "The settings' rule."})
    task = server.create("Create hello.txt saying hello.", agent="codex")
    assert task["agent"] == "codex"
    server.act(task["id"], "start")
    timings["start -> first line"] = _first_line_after(server, task["id"], 0, 300)
    waiting = server.wait_for(task["id"], "waiting", "failed", timeout=300)
    assert waiting["status"] == "waiting", (waiting["error"], stub.paths(), server.log()[-3000:])
    assert waiting["session_id"], "the thread id was kept for resume"
    told = json.dumps([r["body"] for r in stub.requests if r["method"] == "POST"])
    assert "The settings' rule." in told and "board.json" in told, "the mounted AGENTS.md"
    assert "The repo's own rule." in told, "the repo's AGENTS.md is still read"
    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert diff["files"] == [FILE] and FIRST.strip() in added_text(diff), diff
    tools = [e["name"] for e in _outputs(server, task["id"]) if e["kind"] == "tool_call"]
    assert tools == ["command"], "the CLI ran the command through code mode's exec"
    assert all(r["authorization"] == "Bearer sk-openai-dummy-for-the-stub" for r in stub.requests)

    seen = len(_outputs(server, task["id"]))
    server.act(task["id"], "feedback", {"message": "Now say hello again."})
    timings["feedback -> first line (resume)"] = _first_line_after(server, task["id"], seen, 300)
    again = server.wait_for(task["id"], "waiting", "failed", timeout=300)
    assert again["status"] == "waiting", (again["error"], stub.paths(), server.log()[-3000:])
    assert again["session_id"] == waiting["session_id"], "the same thread was resumed"
    posts = [r for r in stub.requests if r["method"] == "POST"]
    resumed = [
        r
        for r in posts
        if "Now say hello again." in json.dumps(r["body"])
        and "Create hello.txt saying hello." in json.dumps(r["body"])
        and "call_stub_1" in json.dumps(r["body"])
    ]
    assert resumed, f"the stub saw the earlier conversation on resume: {stub.paths()}"
    tools = [e["name"] for e in _outputs(server, task["id"]) if e["kind"] == "tool_call"]
    assert tools == ["command", "file_change"], "the edit went through apply_patch"

    server.act(task["id"], "accept")
    server.wait_for(task["id"], "done", timeout=120)
    timings["write + feedback + accept"] = time.monotonic() - flow
    assert file_on_branch(repo, "main", FILE) == FIRST + AGAIN.format(n=2)

    # One turn per run, none an error, each with what the stub served for that run
    # (Codex's own turn.completed adds up the whole thread: a resumed run's is not
    # its own usage).
    turns = server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
    assert len(turns) == 2 and not any(t["is_error"] for t in turns), turns
    served = [stub.usage_for(1), stub.usage_for(2)]
    got = [
        {
            "input_tokens": t["input_tokens"],
            "cached_tokens": t["cache_read_input_tokens"],
            "output_tokens": t["output_tokens"],
        }
        for t in turns
    ]
    print("\ntimings (s):", {k: round(v, 2) for k, v in timings.items()})
    print("served per run:", served, "recorded per turn:", got)
    assert got[0] == served[0], "the first run's usage"
    assert got == served, "each run's own usage, not the thread's running total"

    # The cost is those tokens at the pinned CLI's default model's prices (D10).
    (model,) = {r["body"].get("model") for r in posts}
    print("model:", model)
    prices = server.api("GET", "/api/config")["prices"]["codex"]
    assert model in prices, f"the price table lacks the default model {model}"
    expected = _priced(prices[model], served)
    done = server.task(task["id"])
    assert abs(done["usage"]["cost_usd"] - expected) < 1e-6, (done["usage"], expected)
    assert abs(sum(t["cost_usd"] for t in turns) - expected) < 1e-6


def _priced(row: dict[str, float], served: list[dict[str, int]]) -> float:
    """What the served tokens cost at a price table's row (USD per million)."""
    return (
        sum(
            (s["input_tokens"] - s["cached_tokens"]) * row["input"]
            + s["cached_tokens"] * row["cached_input"]
            + s["output_tokens"] * row["output"]
            for s in served
        )
        / 1_000_000
    )


def test_the_real_codex_cli_verifies_a_change(
    codex_server: ServerProcess, stub: OpenAIStub
) -> None:
    server = codex_server
    task = server.create("Create hello.txt saying hello.", agent="codex")
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting", "failed", timeout=600)
    assert waiting["status"] == "waiting", (waiting["error"], stub.paths())

    server.act(task["id"], "verify")
    given = until(
        "the verdict",
        lambda: (v := server.task(task["id"])["verdict"])["status"] != "running" and v,
    )
    assert (given["status"], given["reasons"]) == ("pass", "hello.txt says hello."), given
    # The verifier's turn: exactly what the stub served its session, at the table's prices.
    (judged,) = [
        t
        for t in server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
        if t["activity"] == "verify"
    ]
    served = stub.usage_for(VERIFIER)
    assert served["input_tokens"] > 0
    assert (judged["input_tokens"], judged["cache_read_input_tokens"], judged["output_tokens"]) == (
        served["input_tokens"],
        served["cached_tokens"],
        served["output_tokens"],
    )
    (model,) = {r["body"].get("model") for r in stub.requests if r["method"] == "POST"}
    row = server.api("GET", "/api/config")["prices"]["codex"][model]
    assert abs(judged["cost_usd"] - _priced(row, [served])) < 1e-9
    assert given["cost_usd"] == round(judged["cost_usd"], 6)  # the verdict shows it rounded
