"""Through HTTP, every action that the transition table forbids is a 409 naming both states."""

from __future__ import annotations

from server.states import TRANSITIONS, USER_ACTIONS, Status
from tests.server_process import ServerProcess

BODIES = {"feedback": {"message": "more"}}


def tasks_in_every_state(server: ServerProcess) -> dict[str, str]:
    made = {"backlog": server.create("say idle")["id"]}
    running = server.create("sleep 60")["id"]
    server.act(running, "start")
    made["in_progress"] = running
    waiting = server.create("say hi")["id"]
    server.act(waiting, "start")
    made["waiting"] = server.wait_for(waiting, "waiting")["id"]
    failed = server.create("fail")["id"]
    server.act(failed, "start")
    made["failed"] = server.wait_for(failed, "failed")["id"]
    cancelled = server.create("say bye")["id"]
    server.act(cancelled, "start")
    server.wait_for(cancelled, "waiting")
    made["cancelled"] = server.act(cancelled, "cancel")["id"]
    done = server.create("write d.txt d")["id"]
    server.act(done, "start")
    server.wait_for(done, "waiting")
    server.act(done, "accept")
    made["done"] = server.wait_for(done, "done")["id"]
    return made


def test_forbidden_actions_are_409_and_change_nothing(server: ServerProcess) -> None:
    made = tasks_in_every_state(server)
    for status, task_id in made.items():
        for action in sorted(USER_ACTIONS):
            if (Status(status), action) in TRANSITIONS:
                continue
            response = server.request(
                "POST", f"/api/tasks/{task_id}/{action}", json=BODIES.get(action)
            )
            assert response.status_code == 409, (status, action, response.text)
            message = response.json()["error"]
            assert f"that is {status}" in message, server.task(task_id)
            targets = {str(to) for (_, act), to in TRANSITIONS.items() if act == action}
            assert all(t in message for t in targets), message
            assert server.task(task_id)["status"] == status
    server.act(made["in_progress"], "cancel")


def test_busy_tasks_cannot_be_deleted_but_others_can(server: ServerProcess) -> None:
    running = server.create("sleep 60")["id"]
    server.act(running, "start")
    refused = server.request("DELETE", f"/api/tasks/{running}")
    assert refused.status_code == 409
    assert "cancel it" in refused.json()["error"]
    server.act(running, "cancel")
    assert server.request("DELETE", f"/api/tasks/{running}").status_code == 200
    assert server.request("GET", f"/api/tasks/{running}").status_code == 404


def test_only_backlog_tasks_can_be_edited(server: ServerProcess) -> None:
    task = server.create("say hi")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    response = server.request("PATCH", f"/api/tasks/{task['id']}", json={"prompt": "other"})
    assert response.status_code == 409
    assert server.task(task["id"])["prompt"] == "say hi"
