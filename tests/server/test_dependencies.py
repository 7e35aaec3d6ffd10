"""Dependencies, scheduled times and batches over HTTP: what is refused, and that a
batch is all or nothing."""

from __future__ import annotations

from typing import Any

from tests.server_process import ServerProcess


def titles(server: ServerProcess) -> list[str]:
    tasks = server.api("GET", "/api/tasks?status=backlog&order=position")["tasks"]
    return [t["title"] for t in tasks]


def test_a_task_shows_what_it_depends_on_and_what_blocks_it(bare_server: ServerProcess) -> None:
    first = bare_server.create("make the parser", title="Parser")
    second = bare_server.create(
        "use it", depends_on=[first["id"], first["id"]], scheduled_at="2030-01-02T03:04:05+01:00"
    )
    shown = bare_server.task(second["id"])
    assert shown["depends_on"] == [first["id"]]
    assert shown["blocked_by"] == [{"id": first["id"], "title": "Parser", "status": "backlog"}]
    assert shown["scheduled_at"] == "2030-01-02T02:04:05.000Z"
    assert bare_server.task(first["id"])["blocked_by"] == []


def test_unknown_dependencies_and_times_are_refused_by_name(bare_server: ServerProcess) -> None:
    response = bare_server.request("POST", "/api/tasks", json={"prompt": "p", "depends_on": ["x"]})
    assert response.status_code == 422
    assert response.json()["field"] == "depends_on" and "x" in response.json()["error"]
    for when, status in (("tomorrow", 422), ("2030-01-01T10:00:00", 422), (5, 400)):
        body = {"prompt": "p", "scheduled_at": when}
        response = bare_server.request("POST", "/api/tasks", json=body)
        assert response.status_code == status, response.text
        assert response.json()["field"] == "scheduled_at"
    assert titles(bare_server) == []


def test_a_cycle_is_a_400_that_names_it(bare_server: ServerProcess) -> None:
    a = bare_server.create("a", title="Alpha")
    b = bare_server.create("b", title="Beta", depends_on=[a["id"]])
    response = bare_server.request("PATCH", f"/api/tasks/{a['id']}", json={"depends_on": [b["id"]]})
    assert response.status_code == 400
    assert response.json()["error"] == ("depends_on would make a cycle: 'Alpha' → 'Beta' → 'Alpha'")
    response = bare_server.request("PATCH", f"/api/tasks/{a['id']}", json={"depends_on": [a["id"]]})
    assert response.status_code == 400
    assert bare_server.task(a["id"])["depends_on"] == []
    # Editing the edge away and back the other way round is fine.
    bare_server.api("PATCH", f"/api/tasks/{b['id']}", {"depends_on": []})
    edited = bare_server.api("PATCH", f"/api/tasks/{a['id']}", {"depends_on": [b["id"]]})
    assert edited["blocked_by"][0]["title"] == "Beta"


def plan(count: int = 5) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"ref": "s0", "prompt": "step 0", "title": "Step 0"}]
    for n in range(1, count):
        steps.append(
            {
                "ref": f"s{n}",
                "prompt": f"step {n}",
                "title": f"Step {n}",
                "depends_on": [f"s{n - 1}"],
            }
        )
    return steps


def test_a_plan_is_made_in_one_call_in_its_order(bare_server: ServerProcess) -> None:
    earlier = bare_server.create("earlier", title="Earlier")
    steps = plan()
    steps[0]["depends_on"] = [earlier["id"]]  # a stored task, by id
    made = bare_server.api("POST", "/api/tasks/batch", {"tasks": steps}, status=201)
    refs = made["refs"]
    assert list(refs) == [f"s{n}" for n in range(5)]
    assert [t["id"] for t in made["tasks"]] == list(refs.values())
    assert bare_server.task(refs["s3"])["depends_on"] == [refs["s2"]]
    assert bare_server.task(refs["s0"])["blocked_by"][0]["title"] == "Earlier"
    assert titles(bare_server) == [f"Step {n}" for n in range(5)] + ["Earlier"]


def test_a_plan_with_any_error_makes_nothing(bare_server: ServerProcess) -> None:
    cyclic = plan()
    cyclic[0]["depends_on"] = ["s4"]
    response = bare_server.request("POST", "/api/tasks/batch", json={"tasks": cyclic})
    assert response.status_code == 400
    assert response.json()["error"] == "depends_on would make a cycle: s0 → s4 → s3 → s2 → s1 → s0"

    for broken, status in (
        ({"prompt": ""}, 422),
        ({"prompt": "p", "depends_on": ["nowhere"]}, 422),
        ({"prompt": "p", "agent": "nobody"}, 400),
        ({"prompt": "p", "scheduled_at": "soon"}, 422),
        ({"prompt": 3}, 400),
    ):
        steps = [*plan(), broken]
        response = bare_server.request("POST", "/api/tasks/batch", json={"tasks": steps})
        assert response.status_code == status, (broken, response.text)
        assert "error" in response.json()
    response = bare_server.request("POST", "/api/tasks/batch", json={"tasks": plan(2) * 2})
    assert response.status_code == 400 and "s0" in response.json()["error"]  # a ref twice
    response = bare_server.request("POST", "/api/tasks/batch", json={"tasks": plan(101)})
    assert response.status_code == 413
    assert bare_server.request("POST", "/api/tasks/batch", json={"tasks": []}).status_code == 400
    assert bare_server.request("POST", "/api/tasks/batch", json={"tasks": "x"}).status_code == 400
    assert titles(bare_server) == []


def test_a_task_others_wait_for_cannot_be_deleted(bare_server: ServerProcess) -> None:
    a = bare_server.create("a", title="Alpha")
    b = bare_server.create("b", title="Beta", depends_on=[a["id"]])
    response = bare_server.request("DELETE", f"/api/tasks/{a['id']}")
    assert response.status_code == 409
    assert "'Beta'" in response.json()["error"]
    bare_server.api("DELETE", f"/api/tasks/{b['id']}")
    bare_server.api("DELETE", f"/api/tasks/{a['id']}")
