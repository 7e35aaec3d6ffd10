"""Tags over HTTP: set on create and edit, checked by name, and the ?tag= filter beside ?q=."""

from __future__ import annotations

import pytest

from tests.server_process import ServerProcess


def prompts(server: ServerProcess, query: str) -> set[str]:
    return {t["prompt"] for t in server.api("GET", f"/api/tasks?{query}")["tasks"]}


def test_tags_filter_the_list_alone_and_with_a_search(bare_server: ServerProcess) -> None:
    server = bare_server
    docs = server.create("deploy the docs", tags=["web", "docs", "web"])
    server.create("deploy the api", tags=["api"])
    server.create("write the docs", tags=["docs"])
    assert docs["tags"] == ["web", "docs"], "kept in order, without repeats"

    assert prompts(server, "tag=docs") == {"deploy the docs", "write the docs"}
    assert prompts(server, "tag=docs&q=deploy") == {"deploy the docs"}
    assert prompts(server, "tag=docs&tag=web") == {"deploy the docs"}, "every tag given"
    assert prompts(server, "tag=Docs") == set(), "a tag is matched exactly"


def test_tags_change_in_any_status_and_show_on_the_task(bare_server: ServerProcess) -> None:
    server = bare_server
    task = server.create("deploy the api")
    edited = server.api("PATCH", f"/api/tasks/{task['id']}", {"tags": ["release-1.2", "ops_x"]})
    assert edited["tags"] == ["release-1.2", "ops_x"]
    assert server.task(task["id"])["tags"] == ["release-1.2", "ops_x"]
    assert prompts(server, "tag=ops_x") == {"deploy the api"}
    cleared = server.api("PATCH", f"/api/tasks/{task['id']}", {"tags": []})
    assert cleared["tags"] == [] and prompts(server, "tag=ops_x") == set()


@pytest.mark.parametrize(
    ("tags", "status"),
    [
        ("web", 400),
        ([1], 400),
        ([""], 422),
        (["-web"], 422),
        (["two words"], 422),
        (["x" * 33], 422),
        (["ü"], 422),
        ([f"t{n}" for n in range(11)], 422),
    ],
)
def test_bad_tags_are_refused_by_name(
    bare_server: ServerProcess, tags: object, status: int
) -> None:
    response = bare_server.request("POST", "/api/tasks", json={"prompt": "p", "tags": tags})
    assert response.status_code == status, response.text
    assert response.json()["field"] == "tags"
    task = bare_server.create("p")
    edit = bare_server.request("PATCH", f"/api/tasks/{task['id']}", json={"tags": tags})
    assert edit.status_code == status and edit.json()["field"] == "tags"


@pytest.mark.parametrize("query", ["tag=a%20b", "tag=" + "x" * 33, "tag=%00"])
def test_a_bad_tag_filter_is_a_400_naming_it(bare_server: ServerProcess, query: str) -> None:
    response = bare_server.request("GET", f"/api/tasks?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "tag"
