"""Verification on the real engine: a verifier session of the fake agent judges a
task's change (its ``verdict`` command answers as a verifier would), the verdict
is stored on the task with its reasons and cost, and, when asked, a run that
ends in waiting is verified and a PASS accepted by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import pytest

from tests.e2e.test_restart import restart
from tests.engine import containers_of
from tests.gitrepo import commit, file_on_branch
from tests.polling import until
from tests.server_process import ServerProcess

# What one session of the fake agent costs: one result line of its own home.
SESSION_USD = 0.0125


def waiting(server: ServerProcess, prompt: str, **fields: Any) -> str:
    task = server.create(prompt, **fields)
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    return str(task["id"])


def verdict(server: ServerProcess, task_id: str) -> dict[str, Any]:
    """The task's verdict once the verifier has given it."""

    def given() -> dict[str, Any]:
        found = server.task(task_id)["verdict"]
        return found if found and found["status"] != "running" else {}

    return until("the verdict", given)


def notes(server: ServerProcess, task_id: str) -> list[str]:
    return [
        e["data"]["message"]
        for e in server.events(task_id)
        if e["type"] in ("system", "error") and "verdict" in e["data"]
    ]


def test_a_pass_is_stored_with_its_reasons_and_the_workspace_is_left_as_it_was(
    server: ServerProcess,
) -> None:
    task_id = waiting(
        server,
        "run cat /proc/sys/kernel/random/uuid > stamp.txt\nverdict PASS the stamp is written",
    )
    before = server.api("GET", f"/api/tasks/{task_id}/diff")
    assert "verify" in server.task(task_id)["actions"]

    started = server.act(task_id, "verify")

    assert started["verdict"]["status"] == "running" and started["status"] == "waiting"
    given = verdict(server, task_id)
    assert given["status"] == "pass"
    assert given["reasons"] == "the stamp is written"
    assert given["cost_usd"] == SESSION_USD and given["at"]
    assert notes(server, task_id) == ["verdict: PASS: the stamp is written"]
    # The verifier ran the same "run" line on a read-only mount: nothing changed.
    assert server.api("GET", f"/api/tasks/{task_id}/diff") == before
    task = server.task(task_id)
    assert task["status"] == "waiting" and task["session_id"]
    # Its cost is the task's, recorded apart as the verifier's.
    turns = server.api("GET", f"/api/tasks/{task_id}/turns")["turns"]
    assert [(t["activity"], t["cost_usd"]) for t in turns] == [
        ("run", SESSION_USD),
        ("verify", SESSION_USD),
    ]
    assert task["usage"]["cost_usd"] == 2 * SESSION_USD
    rows = server.api("GET", "/api/usage?days=1")["rows"]
    assert {r["activity"]: r["cost_usd"] for r in rows} == {
        "run": SESSION_USD,
        "verify": SESSION_USD,
    }


def test_a_fail_and_an_answer_without_a_verdict(server: ServerProcess) -> None:
    failing = waiting(server, "write a.txt one\nverdict FAIL a.txt should say two")
    silent = waiting(server, "write b.txt one\nsay all good")

    server.act(failing, "verify")
    server.act(silent, "verify")

    assert verdict(server, failing) == {
        **verdict(server, failing),
        "status": "fail",
        "reasons": "a.txt should say two",
    }
    error = verdict(server, silent)
    assert error["status"] == "error"
    assert error["reasons"].startswith(
        "the verifier's answer has no VERDICT PASS or VERDICT FAIL line: "
    )
    [note] = notes(server, silent)
    assert note.startswith("verdict: ERROR: ")


def test_a_second_verify_while_one_runs_is_refused(server: ServerProcess) -> None:
    task_id = waiting(server, "sleep 1.5\nverdict PASS slow but fine")

    server.act(task_id, "verify")
    again = server.act(task_id, "verify", status=409)
    accept = server.act(task_id, "accept", status=409)

    assert "being verified" in again["error"] and "being verified" in accept["error"]
    assert verdict(server, task_id)["status"] == "pass"
    # Once given, another may be asked.
    assert server.act(task_id, "verify")["verdict"]["status"] == "running"
    assert verdict(server, task_id)["status"] == "pass"
    # A run changes the change: the verdict on the old one goes.
    server.act(task_id, "feedback", {"message": "say again"})
    assert server.wait_for(task_id, "waiting")["verdict"] is None


def test_only_a_stopped_task_with_a_workspace_is_verified(server: ServerProcess) -> None:
    task = server.create("say hello")

    refused = server.act(task["id"], "verify", status=409)

    assert "backlog" in refused["error"]
    assert "verify" not in task["actions"]
    server.act("no-such-task", "verify", status=404)


@pytest.mark.parametrize("per_task", [False, True])
def test_auto_test_and_auto_accept_land_a_pass(
    server: ServerProcess, repo: Path, per_task: bool
) -> None:
    """Set globally, or on the task alone (the settings then off)."""
    switches = {"auto_test": True, "auto_accept": True}
    if not per_task:
        server.api("PUT", "/api/config", switches)
    task = server.create(
        "write landed.txt yes\nverdict PASS it is there", **(switches if per_task else {})
    )

    server.act(task["id"], "start")
    done = server.wait_for(task["id"], "done", "failed", timeout=60)

    assert done["status"] == "done", done
    assert done["verdict"]["status"] == "pass"
    assert file_on_branch(repo, "main", "landed.txt") == "yes\n"


def test_a_task_may_turn_off_what_the_settings_turn_on(server: ServerProcess) -> None:
    server.api("PUT", "/api/config", {"auto_test": True, "auto_accept": True})
    task_id = waiting(server, "write kept.txt yes\nverdict PASS fine", auto_accept=False)

    assert verdict(server, task_id)["status"] == "pass"
    assert server.task(task_id)["status"] == "waiting"
    edited = server.api("PATCH", f"/api/tasks/{task_id}", {"auto_accept": None})
    assert edited["auto_accept"] is None
    bad = server.api("PATCH", f"/api/tasks/{task_id}", {"auto_test": "yes"}, status=400)
    assert bad["field"] == "auto_test"


def test_a_secret_in_the_verifiers_answer_is_redacted(server: ServerProcess) -> None:
    secret = "sk-verifier-leak-0123456789"
    server.api("PUT", "/api/config", {"env": {"MY_API_KEY": secret}})
    task_id = waiting(server, f"write a.txt x\nverdict PASS the key is {secret}")

    server.act(task_id, "verify")

    assert verdict(server, task_id)["reasons"] == "the key is [redacted]"
    assert not [n for n in notes(server, task_id) if secret in n]


def test_a_verifier_cut_off_by_kill_9_is_an_error_and_leaves_nothing_behind(
    child_server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    server = child_server
    task_id = waiting(server, "sleep 2\nverdict PASS too late")
    server.act(task_id, "verify")
    side = f"{task_id}.verify"
    until("the verifier's container", lambda: containers_of(docker_client, side))

    server.kill()
    server = restart(server)
    try:
        given = verdict(server, task_id)
        assert given == {**given, "status": "error"}
        assert given["reasons"] == "the verifier was interrupted by a restart"
        until("its container gone", lambda: not containers_of(docker_client, side))
        until("its folder gone", lambda: not (server.data_dir / "side" / side).exists())
        # The task is not held: it may be verified again.
        server.act(task_id, "verify")
        assert verdict(server, task_id)["status"] == "pass"
    finally:
        server.stop()


def test_an_auto_accept_that_conflicts_goes_through_the_conflict_rounds(
    server: ServerProcess, repo: Path
) -> None:
    """The accept a PASS makes is the person's: a conflict is the agent's to resolve."""
    server.api("PUT", "/api/config", {"auto_test": True, "auto_accept": True})
    task = server.create(
        "onconflict merged by the agent\nwrite README.md agent version\nsleep 2\nverdict PASS ok"
    )
    server.act(task["id"], "start")
    until("the verifier", lambda: (server.task(task["id"])["verdict"] or {}).get("status"))
    commit(repo, {"README.md": "user version\n"}, "Reword the readme")

    done = server.wait_for(task["id"], "done", "failed", timeout=90)

    assert done["status"] == "done", done
    assert file_on_branch(repo, "main", "README.md") == "merged by the agent\n"
    rounds = [e for e in server.events(task["id"]) if "conflict round 1" in str(e["data"])]
    assert rounds, "the conflict went to the agent"


def test_a_task_over_its_budget_is_not_verified_and_a_failed_one_is_not_accepted(
    server: ServerProcess,
) -> None:
    """The run's one result costs more than the budget: the task fails, workspace kept."""
    server.api("PUT", "/api/config", {"auto_accept": True})
    task = server.create("write a.txt x\nverdict PASS fine", budget_usd=0.01)
    server.act(task["id"], "start")
    assert server.wait_for(task["id"], "failed")["error"].startswith("budget_exceeded")

    server.act(task["id"], "verify")

    given = verdict(server, task["id"])
    assert given["status"] == "error" and "budget_exceeded" in given["reasons"]
    server.api("PATCH", f"/api/tasks/{task['id']}", {"budget_usd": None})
    server.act(task["id"], "verify")
    assert verdict(server, task["id"])["status"] == "pass"
    assert server.task(task["id"])["status"] == "failed"  # accept takes a waiting task
