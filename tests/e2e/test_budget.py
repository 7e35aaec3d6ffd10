"""A task's cost budget on the real engine: the run stops there and the task fails
with the figure; the settings' default budget applies to new tasks."""

from __future__ import annotations

import docker
import pytest

from tests.engine import containers_of
from tests.server_process import ServerProcess


def test_a_run_stops_at_its_budget_and_fails_with_the_figure(
    server: ServerProcess, docker_client: docker.DockerClient
) -> None:
    # The fake agent's "bill" reports $0.0125 more per result line until stopped.
    task = server.create("bill", budget_usd=0.03)
    assert task["budget_usd"] == 0.03
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed", timeout=60)

    assert failed["error"] == "budget_exceeded: $0.0375 spent of a $0.03 budget"
    assert failed["usage"]["cost_usd"] == 0.0375, "the figure is the task's recorded cost"
    turns = server.api("GET", f"/api/tasks/{task['id']}/turns")["turns"]
    assert [t["cost_usd"] for t in turns] == pytest.approx([0.0125] * 3)
    assert containers_of(docker_client, task["id"]) == [], "the run was stopped"

    refused = server.request("POST", f"/api/tasks/{task['id']}/resume")
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "budget_usd"
    assert "budget_exceeded" in refused.json()["error"]
    server.api("PATCH", f"/api/tasks/{task['id']}", {"budget_usd": 1})
    server.act(task["id"], "resume")
    server.act(task["id"], "cancel")


def test_a_default_budget_from_the_settings_applies_to_new_tasks(
    bare_server: ServerProcess,
) -> None:
    server = bare_server
    assert server.create("no budget")["budget_usd"] is None
    server.api("PUT", "/api/config", {"default_budget_usd": 0.5})
    assert server.create("default budget")["budget_usd"] == 0.5
    assert server.create("own budget", budget_usd=2)["budget_usd"] == 2
    assert server.create("none at all", budget_usd=None)["budget_usd"] is None
    server.api("PUT", "/api/config", {"default_budget_usd": None})
    assert server.create("no budget again")["budget_usd"] is None


@pytest.mark.parametrize(("value", "status"), [("1", 400), (True, 400), (0, 422), (-1, 422)])
def test_a_bad_budget_is_refused_by_name(
    bare_server: ServerProcess, value: object, status: int
) -> None:
    server = bare_server
    response = server.request("POST", "/api/tasks", json={"prompt": "p", "budget_usd": value})
    assert response.status_code == status and response.json()["field"] == "budget_usd"
    task = server.create("p")
    edit = server.request("PATCH", f"/api/tasks/{task['id']}", json={"budget_usd": value})
    assert edit.status_code == status and edit.json()["field"] == "budget_usd"
    config = server.request("PUT", "/api/config", json={"default_budget_usd": value})
    assert config.status_code == status and config.json()["field"] == "default_budget_usd"
