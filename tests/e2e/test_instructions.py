"""The instructions of the settings and board.json, as a task's agent reads them.

The fake agent prints the files where the CLI reads its user's instructions
(Claude Code: ~/.claude/CLAUDE.md) and board.json; the repository's own
instructions stay as they are in the workspace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker

from tests.e2e.test_prepared import gone, prepared, running
from tests.gitrepo import make_repo
from tests.server_process import ServerProcess

INSTRUCTIONS = "/home/agent/.claude/CLAUDE.md"
BOARD = "/workspace/.wallfacer/board.json"


def replies(server: ServerProcess, task_id: str) -> list[str]:
    return [
        e["text"]
        for ev in server.events(task_id)
        if ev["type"] == "output"
        for e in ev["data"]["events"]
        if e["kind"] == "text"
    ]


def board(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_agent_reads_the_instructions_and_the_board(
    server: ServerProcess, tmp_path: Path
) -> None:
    template = server.data_dir / "templates" / "claude"
    template.mkdir(parents=True)
    (template / "CLAUDE.md").write_text("From my template.\n")  # hidden by the mount: kept first
    settings = server.api("PUT", "/api/config", {"instructions": "Run make lint before done."})
    assert settings["instructions"] == "Run make lint before done."
    other = make_repo(tmp_path / "other", {"o.txt": "o\n"})
    server.api("POST", "/api/repos", {"path": str(other)}, status=201)
    elsewhere = server.create("say another project's secret plan", repo=str(other))
    sibling = server.create("say later", title="A sibling task")
    prompt = f"show {INSTRUCTIONS}\nshow {BOARD}\nshow AGENTS.md\nwrite AGENTS.md mine"
    task = server.create(prompt, title="Reader")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")

    instructions, first, repos_own = replies(server, task["id"])[:3]
    assert instructions.startswith("From my template.\n\nRun make lint before done.\n\n# The")
    assert BOARD in instructions, "the instructions say where board.json is"
    assert repos_own.startswith("cat: can't open 'AGENTS.md'"), "the repo has none of its own"
    seen = board(first)
    assert seen["task"] == task["id"]
    listed = {t["id"]: t for t in seen["tasks"]}
    assert set(listed) == {task["id"], sibling["id"]}, "only the tasks of the task's repo"
    assert listed[sibling["id"]] == {
        "id": sibling["id"],
        "title": "A sibling task",
        "status": "backlog",
        "branch": "",
        "base_branch": "",
        "depends_on": [],
    }
    assert listed[task["id"]]["status"] == "in_progress"
    assert listed[task["id"]]["branch"] == f"task/{task['id'][:8]}"
    assert elsewhere["id"] not in first and "secret plan" not in first
    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert diff["files"] == ["AGENTS.md"], "the workspace's own AGENTS.md is the repo's"

    # A feedback run reads the board and the instructions as they are then.
    server.act(sibling["id"], "start")
    server.wait_for(sibling["id"], "waiting")
    server.api("PUT", "/api/config", {"instructions": "Now say thanks."})
    server.act(task["id"], "feedback", {"message": f"show {BOARD}\nshow {INSTRUCTIONS}"})
    server.wait_for(task["id"], "waiting")
    again, instructions = replies(server, task["id"])[-2:]
    listed = {t["id"]: t for t in board(again)["tasks"]}
    assert listed[sibling["id"]]["status"] == "waiting"
    assert listed[sibling["id"]]["branch"] == f"task/{sibling['id'][:8]}"
    assert instructions.startswith("From my template.\n\nNow say thanks.\n\n# The board")


def test_new_instructions_discard_a_container_made_ahead_and_the_board_is_as_at_the_start(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task = server.create(f"show {INSTRUCTIONS}\nshow {BOARD}\nsleep 2")
    stale = prepared(server, docker_client, task["id"])
    server.api("PUT", "/api/config", {"instructions": "Fresh words."})
    assert gone(docker_client, stale)

    made = prepared(server, docker_client, task["id"])
    later = server.create("say hi", title="Made after the container")
    server.act(task["id"], "start")
    assert running(docker_client, task["id"])["Id"] == made, "the container made ahead runs"
    server.wait_for(task["id"], "waiting")
    instructions, seen = replies(server, task["id"])[:2]
    assert instructions.startswith("Fresh words.\n\n# The board")
    assert later["id"] in {t["id"] for t in board(seen)["tasks"]}


def test_the_instructions_are_capped_and_checked(bare_server: ServerProcess) -> None:
    server = bare_server
    big = "x" * (32 * 1024 + 1)
    refused = server.request("PUT", "/api/config", json={"instructions": big})
    assert refused.status_code == 413
    assert refused.json()["field"] == "instructions"
    assert "instructions are 32769 bytes; at most 32768" in refused.json()["error"]
    wrong = server.request("PUT", "/api/config", json={"instructions": ["a"]})
    assert (wrong.status_code, wrong.json()["field"]) == (400, "instructions")
    assert server.api("GET", "/api/config")["instructions"] == ""
    fits = "é" * (16 * 1024)  # 32 KiB in UTF-8
    assert server.api("PUT", "/api/config", {"instructions": fits})["instructions"] == fits
