"""A task's whole life through the real server, engine and git: backlog to merged on main."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from tests.engine import containers_of
from tests.gitrepo import branches, file_on_branch, task_refs
from tests.inprocess import InProcessServer
from tests.polling import until
from tests.server_process import ServerProcess, added_text


def kinds(events: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [e["kind"] for ev in events if ev["type"] == "output" for e in ev["data"]["events"]]


def test_a_task_runs_waits_takes_feedback_and_lands_on_main(
    server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    task = server.create("write hello.txt hello from the agent", title="Say hello")
    assert task["status"] == "backlog"

    started = server.act(task["id"], "start")
    assert started["status"] == "in_progress"

    # The live log replays from the start and ends when the run does.
    streamed = server.sse(
        f"/api/tasks/{task['id']}/logs", until=lambda evs: evs[-1]["event"] == "end"
    )
    outputs = [e for e in streamed if e["event"] == "output"]
    assert outputs[0]["data"]["data"]["events"][0]["kind"] == "init"
    assert any(e["event"] == "state" and e["data"]["data"]["to"] == "waiting" for e in streamed)

    waiting = server.wait_for(task["id"], "waiting")
    assert waiting["session_id"]
    assert waiting["usage"]["input_tokens"] == 100
    assert waiting["usage"]["cost_usd"] == 0.0125
    assert containers_of(docker_client, task["id"]) == []
    # Nothing lands before the user accepts.
    assert file_on_branch(repo, "main", "hello.txt") is None

    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert diff["files"] == ["hello.txt"]
    assert "hello from the agent" in added_text(diff)

    server.act(task["id"], "feedback", {"message": "append hello.txt and goodbye"})
    again = server.wait_for(task["id"], "waiting")
    assert again["session_id"] == waiting["session_id"], "feedback resumes the same session"
    assert again["usage"]["input_tokens"] == 200
    # The CLI's total_cost_usd adds up the session; each run counts its own share once.
    assert again["usage"]["cost_usd"] == pytest.approx(0.025, abs=1e-9)
    turns = server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
    assert [t["cost_usd"] for t in turns] == pytest.approx([0.0125, 0.0125], abs=1e-9)
    assert [t["input_tokens"] for t in turns] == [100, 100]
    log = server.events(task["id"])
    assert any(e["type"] == "feedback" for e in log)
    assert "Resuming session" in str([e["data"] for e in log if e["type"] == "output"])

    server.act(task["id"], "accept")
    done = server.wait_for(task["id"], "done")
    assert done["error"] == ""
    assert file_on_branch(repo, "main", "hello.txt") == "hello from the agent\nand goodbye\n"
    # The user's checkout is on main, so its working tree follows.
    assert (repo / "hello.txt").read_text() == "hello from the agent\nand goodbye\n"
    assert branches(repo) == ["main"]
    assert task_refs(repo) == []
    assert not (server.data_dir / "workspaces" / task["id"]).exists()
    assert containers_of(docker_client, task["id"]) == []
    # The reviewed diff is still there after the worktree is gone.
    assert server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["hello.txt"]


def test_agent_output_is_parsed_into_neutral_events(server: ServerProcess) -> None:
    task = server.create("write a.txt one\nsay all done")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    assert [k for k in kinds(server.events(task["id"])) if k != "usage"] == [
        "init",
        "tool_call",
        "tool_result",
        "text",
        "result",
    ]


def test_junk_output_is_tolerated(server: ServerProcess) -> None:
    task = server.create("junk\nwrite ok.txt fine")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    lines = [e["data"] for e in server.events(task["id"]) if e["type"] == "output"]
    assert any(line["line"] == "this is not json" and line["events"] == [] for line in lines)
    assert any(len(line["line"]) == 1_048_576 and line["truncated"] for line in lines)
    assert kinds(server.events(task["id"]))[-1] == "result"


def test_a_failing_agent_fails_the_task_with_its_reason(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    task = server.create("fail")
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed")
    assert failed["error"] == "the agent reported an error: I could not do it."
    assert containers_of(docker_client, task["id"]) == []


def test_a_crashing_agent_fails_with_its_exit_code_and_stderr(server: ServerProcess) -> None:
    task = server.create("crash")
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed")
    assert "exited with code 3" in failed["error"]
    assert "agent crashed hard" in failed["error"]


def test_a_truncated_last_line_is_survived(server: ServerProcess) -> None:
    task = server.create("say before\ntruncate")
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed")
    assert "exited with code 1" in failed["error"]
    last = [e for e in server.events(task["id"]) if e["type"] == "output"][-1]
    assert last["data"]["line"].startswith('{"type":"assistant"')
    assert last["data"]["events"] == []


def test_cancel_mid_run_stops_the_container_and_cleans_up(
    server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    task = server.create("write partial.txt x\nsleep 60")
    server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{task['id']}/logs",
        until=lambda evs: any("Thinking" in str(e["data"]) for e in evs),
    )
    assert len(containers_of(docker_client, task["id"])) == 1

    cancelled = server.act(task["id"], "cancel")
    assert cancelled["status"] == "cancelled"
    assert containers_of(docker_client, task["id"]) == []
    assert branches(repo) == ["main"]
    assert task_refs(repo) == []
    # A cancelled task can go back to the backlog and run again.
    assert server.act(task["id"], "retry")["status"] == "backlog"


def test_a_failed_task_resumes_its_session(server: ServerProcess) -> None:
    task = server.create("fail")
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed")
    server.act(task["id"], "resume")
    resumed = server.wait_for(task["id"], "waiting")
    assert resumed["session_id"] == failed["session_id"]
    assert resumed["error"] == ""


def test_a_run_past_its_timeout_is_stopped(
    tmp_path: Path, repo: Path, sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    proc = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--timeout", "0.03"))
    proc.start()
    try:
        task = proc.create("sleep 60")
        proc.act(task["id"], "start")
        failed = proc.wait_for(task["id"], "failed")
        assert failed["error"].startswith("timed out after")
        assert containers_of(docker_client, task["id"]) == []
    finally:
        proc.stop()


def test_a_queued_run_that_was_cancelled_never_starts(
    tmp_path: Path, repo: Path, sandbox_image: str
) -> None:
    proc = InProcessServer(tmp_path / "data", [repo], sandbox_image, ("--max-parallel", "2"))
    proc.start()
    try:
        busy = [proc.create("sleep 2") for _ in range(2)]
        for task in busy:
            proc.act(task["id"], "start")
        queued = proc.create("say only once\nsleep 1")
        proc.act(queued["id"], "start")  # waits for a slot
        proc.act(queued["id"], "cancel")
        proc.act(queued["id"], "retry")
        proc.act(queued["id"], "start")  # a new run; the old one must give up
        for task in busy:
            proc.wait_for(task["id"], "waiting")
        proc.wait_for(queued["id"], "waiting")
        inits = [k for k in kinds(proc.events(queued["id"])) if k == "init"]
        assert inits == ["init"], "exactly one container ran for the task"
    finally:
        proc.stop()


def test_a_killed_run_counts_what_its_replies_used_and_nothing_twice(
    server: ServerProcess,
) -> None:
    task = server.create("say one\nwrite a.txt two\nsleep 60")
    server.act(task["id"], "start")
    server.sse(
        f"/api/tasks/{task['id']}/logs",
        until=lambda evs: any("Thinking for 60" in str(e) for e in evs),
    )
    server.act(task["id"], "cancel")
    server.wait_for(task["id"], "cancelled")
    # The cancel moves the task at once; what the killed run used is counted as its
    # follower ends, and told as a change of the task.
    cancelled = until(
        "the killed run's usage",
        lambda: (t := server.task(task["id"]))["usage"]["input_tokens"] and t,
    )
    # Two replies so far (the text and the tool call share no id): 100 in, 50 out each.
    (turn,) = server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
    assert (turn["input_tokens"], turn["output_tokens"], turn["is_error"]) == (200, 100, 1)
    assert cancelled["usage"]["input_tokens"] == 200


def test_a_run_that_changed_nothing_says_so(server: ServerProcess) -> None:
    task = server.create("say there is nothing to do")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    states = [e["data"] for e in server.events(task["id"]) if e["type"] == "state"]
    assert states[-1]["reason"] == "awaiting review: the run changed no files"
    refused = server.act(task["id"], "accept")
    back = server.wait_for(refused["id"], "waiting")
    assert back["error"] == "nothing to merge: the task changed no files"


def test_a_run_whose_tool_calls_all_failed_says_so(server: ServerProcess) -> None:
    task = server.create("toolfail make build\ntoolfail make test")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    states = [e["data"] for e in server.events(task["id"]) if e["type"] == "state"]
    assert states[-1]["reason"] == "awaiting review: all 2 tool calls failed"
