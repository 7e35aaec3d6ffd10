"""Prompt templates over HTTP: saved, listed with their variables, and filled in to make a task."""

from __future__ import annotations

import pytest

from server.errors import BadRequest
from server.templates import render, variables
from tests.server_process import ServerProcess

TEXT = "Fix {{ issue }} in {{module}}.\nKeep {{module}} tidy; {not a variable} {{ 9x }}."


def test_variables_are_named_braces_and_render_fills_each() -> None:
    assert variables(TEXT) == ["issue", "module"]
    assert render(TEXT, {"issue": "#12", "module": "auth"}) == (
        "Fix #12 in auth.\nKeep auth tidy; {not a variable} {{ 9x }}."
    )
    assert render("{{a}}", {"a": "{{b}}"}) == "{{b}}", "a value is never read as a template"
    with pytest.raises(BadRequest) as caught:
        render(TEXT, {"module": "auth", "issue": " ", "extra": "x", "also": "y"})
    assert caught.value.field == "variables"
    assert caught.value.details == {"missing": ["issue"], "unknown": ["also", "extra"]}
    assert str(caught.value) == "template variables: missing issue; unknown also, extra"


def test_a_task_is_made_from_a_template(bare_server: ServerProcess) -> None:
    server = bare_server
    made = server.api("POST", "/api/templates", {"name": "Bug fix", "text": TEXT}, status=201)
    assert made["variables"] == ["issue", "module"]
    assert server.api("GET", "/api/templates")["templates"] == [made]

    values = {"issue": "#12", "module": "auth"}
    body = {"template": made["id"], "variables": values, "tags": ["bug"]}
    task = server.api("POST", "/api/tasks", body, status=201)
    assert task["prompt"].startswith("Fix #12 in auth.") and task["tags"] == ["bug"]

    missing = server.request(
        "POST", "/api/tasks", json={"template": made["id"], "variables": {"issue": "1", "x": "2"}}
    )
    assert missing.status_code == 400
    assert missing.json()["field"] == "variables"
    assert missing.json()["missing"] == ["module"] and missing.json()["unknown"] == ["x"]
    assert "module" in missing.json()["error"] and "x" in missing.json()["error"]


def test_templates_are_replaced_renamed_and_deleted(bare_server: ServerProcess) -> None:
    server = bare_server
    one = server.api("POST", "/api/templates", {"name": "One", "text": "a {{x}}"}, status=201)
    server.api("POST", "/api/templates", {"name": "Two", "text": "b"}, status=201)
    taken = server.request("PUT", f"/api/templates/{one['id']}", json={"name": "Two", "text": "c"})
    assert taken.status_code == 409 and taken.json()["field"] == "name"
    edited = server.api("PUT", f"/api/templates/{one['id']}", {"name": "Uno", "text": "c {{y}}"})
    assert (edited["name"], edited["variables"]) == ("Uno", ["y"])
    assert server.api("GET", f"/api/templates/{one['id']}") == edited
    server.api("DELETE", f"/api/templates/{one['id']}")
    assert [t["name"] for t in server.api("GET", "/api/templates")["templates"]] == ["Two"]
    for method in ("GET", "PUT", "DELETE"):
        path = f"/api/templates/{one['id']}"
        gone = server.request(method, path, json={"name": "n", "text": "t"})
        assert gone.status_code == 404, method


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": "t"}, 400, "name"),
        ({"name": "n"}, 400, "text"),
        ({"name": " ", "text": "t"}, 422, "name"),
        ({"name": "x" * 81, "text": "t"}, 422, "name"),
        ({"name": "n", "text": "  "}, 422, "text"),
        ({"name": "n", "text": "x" * 100_001}, 422, "text"),
        ({"name": 1, "text": "t"}, 400, "name"),
    ],
)
def test_a_bad_template_is_refused_by_name(
    bare_server: ServerProcess, body: dict[str, object], status: int, field: str
) -> None:
    response = bare_server.request("POST", "/api/templates", json=body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"template": "nope"}, "template"),
        ({"template": "nope", "prompt": "p"}, "template"),
        ({"prompt": "p", "variables": {}}, "variables"),
        ({"template": "nope", "variables": []}, "variables"),
        ({"template": "nope", "variables": {"a": 1}}, "variables"),
        ({"template": "nope", "variables": {"a": "\u0000"}}, "variables"),
    ],
)
def test_a_bad_template_request_names_its_field(
    bare_server: ServerProcess, body: dict[str, object], field: str
) -> None:
    response = bare_server.request("POST", "/api/tasks", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["field"] == field
