"""The real Claude Code CLI, in the bundled image, against a local Messages API stub.

Slow (the first run builds the image). Set WALLFACER_SKIP_REAL_AGENT=1 to skip
it locally; under CI=true it always runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.anthropic_stub import AnthropicStub
from tests.deploy.images import claude_prefix
from tests.e2e.real_agent import serve_real_agent
from tests.gitrepo import commit, file_on_branch
from tests.polling import until
from tests.server_process import ServerProcess, added_text

if os.environ.get("WALLFACER_SKIP_REAL_AGENT") == "1" and os.environ.get("CI") != "true":
    pytest.skip("WALLFACER_SKIP_REAL_AGENT=1", allow_module_level=True)


@pytest.fixture
def stub() -> Iterator[AnthropicStub]:
    stub = AnthropicStub()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def claude_server(
    tmp_path: Path, repo: Path, docker_client: docker.DockerClient, stub: AnthropicStub
) -> Iterator[ServerProcess]:
    yield from serve_real_agent(
        tmp_path,
        repo,
        docker_client,
        f"ANTHROPIC_BASE_URL=http://host.docker.internal:{stub.port}\n"
        "ANTHROPIC_API_KEY=sk-ant-dummy-for-the-stub\n"
        "DISABLE_AUTOUPDATER=1\nDISABLE_TELEMETRY=1\n"
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1\n",
        ("WALLFACER_CLAUDE_BINARY", claude_prefix()),  # the npm prefix form
    )


def test_the_real_cli_writes_resumes_and_lands(
    claude_server: ServerProcess, repo: Path, stub: AnthropicStub
) -> None:
    server = claude_server
    commit(repo, {"AGENTS.md": "The repo's own rule.\n"}, "Add AGENTS.md")
    server.api("PUT", "/api/config", {"instructions": "The settings' rule."})
    task = server.create("Create hello.txt saying hello.", agent="claude")
    assert task["agent"] == "claude"
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting", "failed", timeout=600)
    assert waiting["status"] == "waiting", (waiting["error"], stub.paths(), server.log()[-3000:])
    assert waiting["session_id"]
    told = json.dumps([r["body"] for r in stub.requests if r["path"] == "/v1/messages"])
    assert "The settings' rule." in told and "board.json" in told, "the mounted CLAUDE.md"
    assert "The repo's own rule." in told, "the repo's AGENTS.md is still read"
    assert waiting["usage"]["input_tokens"] > 0 and waiting["usage"]["cost_usd"] > 0
    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert diff["files"] == ["hello.txt"] and "hello from claude" in added_text(diff)
    tools = [
        e["name"]
        for ev in server.events(task["id"])
        if ev["type"] == "output"
        for e in ev["data"]["events"]
        if e["kind"] == "tool_call"
    ]
    assert tools == ["Write", "Bash"], "the CLI wrote the file, then ran a shell command"
    results = [
        e
        for ev in server.events(task["id"])
        if ev["type"] == "output"
        for e in ev["data"]["events"]
        if e["kind"] == "tool_result"
    ]
    assert [r["is_error"] for r in results] == [False, False], results
    assert "hello from claude" in results[1]["content"]

    server.act(task["id"], "feedback", {"message": "Now say hello again."})
    again = server.wait_for(task["id"], "waiting", "failed", timeout=300)
    assert again["status"] == "waiting", (again["error"], stub.paths())
    assert again["session_id"] == waiting["session_id"], "the same session was resumed"
    conversations = [json.dumps(r["body"].get("messages", [])) for r in stub.requests]
    resumed = [c for c in conversations if "toolu_stub_1" in c and "Now say hello again." in c]
    assert resumed, f"the stub saw the earlier conversation on resume: {stub.paths()}"

    # Cost: the session's last total_cost_usd, counted once across the resume.
    results = [
        json.loads(ev["data"]["line"])
        for ev in server.events(task["id"])
        if ev["type"] == "output" and '"type":"result"' in ev["data"]["line"].replace(" ", "")
    ]
    assert len(results) == 2
    task_now = server.task(task["id"])
    assert abs(task_now["usage"]["cost_usd"] - results[-1]["total_cost_usd"]) < 1e-6
    turns = server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
    assert abs(turns[0]["cost_usd"] - results[0]["total_cost_usd"]) < 1e-6
    # Tokens: each run's own usage as the CLI reported it, against what the stub served.
    reported = sum(r["usage"]["input_tokens"] for r in results)
    served = 120 * sum(1 for r in stub.requests if r["path"] == "/v1/messages")
    assert task_now["usage"]["input_tokens"] == reported == served, stub.paths()
    outs = sum(r["usage"]["output_tokens"] for r in results)
    assert task_now["usage"]["output_tokens"] == outs == 30 * served // 120

    # The verifier: a session of its own of the real CLI, its cost and tokens the task's.
    asked = len(stub.requests)
    server.act(task["id"], "verify")
    given = until(
        "the verdict",
        lambda: (v := server.task(task["id"])["verdict"])["status"] != "running" and v,
    )
    assert (given["status"], given["reasons"]) == ("pass", "hello.txt says hello."), given
    calls = sum(1 for r in stub.requests[asked:] if r["path"] == "/v1/messages")
    (judged,) = [
        t
        for t in server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
        if t["activity"] == "verify"
    ]
    assert (judged["input_tokens"], judged["output_tokens"]) == (120 * calls, 30 * calls)
    assert given["cost_usd"] == round(judged["cost_usd"], 6) > 0  # the verdict rounds it
    # Every call is priced alike (one model, the stub's fixed usage): the session's own
    # total for the runs' calls gives the price of the verifier's.
    per_call = results[-1]["total_cost_usd"] / (served // 120)
    assert abs(judged["cost_usd"] - per_call * calls) < 1e-9, (judged, per_call, calls)

    server.act(task["id"], "accept")
    server.wait_for(task["id"], "done")
    assert file_on_branch(repo, "main", "hello.txt") == "hello again, answer 2\n"
    images = {i["agent"]: i for i in server.api("GET", "/api/images")["images"]}
    assert images["claude"]["state"] == "ready"
    assert images["claude"]["image"].startswith("wallfacer-claude:")
