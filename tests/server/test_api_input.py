"""Bad input gets a clear JSON error with the right status; nothing is a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_process import ServerProcess


def error(response) -> str:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) >= {"error"}, body
    return str(body["error"])


def test_health_needs_no_token(bare_server: ServerProcess) -> None:
    response = bare_server.request("GET", "/health", auth=False)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert set(response.json()) >= {"version", "docker"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer"])
def test_api_calls_need_the_token(bare_server: ServerProcess, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = bare_server.request("GET", "/api/tasks", auth=False, headers=headers)
    assert response.status_code == 401
    assert "token" in error(response)


def test_unknown_api_paths_still_need_the_token(bare_server: ServerProcess) -> None:
    assert bare_server.request("GET", "/api/nothing", auth=False).status_code == 401
    response = bare_server.request("GET", "/api/nothing")
    assert response.status_code == 404
    error(response)


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io", "attacker:8080"])
def test_a_foreign_host_is_refused(bare_server: ServerProcess, host: str) -> None:
    for path in ("/health", "/api/tasks"):
        response = bare_server.request("GET", path, headers={"Host": host})
        assert response.status_code == 403
        assert "host" in error(response)


def test_localhost_names_are_accepted(bare_server: ServerProcess) -> None:
    for host in (f"localhost:{bare_server.port}", f"127.0.0.1:{bare_server.port}", "localhost"):
        assert bare_server.request("GET", "/api/tasks", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:1"])
def test_a_foreign_origin_cannot_mutate(bare_server: ServerProcess, origin: str) -> None:
    response = bare_server.request(
        "POST", "/api/tasks", json={"prompt": "x"}, headers={"Origin": origin}
    )
    assert response.status_code == 403
    assert bare_server.api("GET", "/api/tasks")["tasks"] == []


def test_a_same_origin_browser_request_is_allowed(bare_server: ServerProcess) -> None:
    response = bare_server.request(
        "POST", "/api/tasks", json={"prompt": "x"}, headers={"Origin": bare_server.url}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"", 400, "not valid JSON"),
        (b'{"title": "no prompt"}', 400, '"prompt" is required'),
        (b'{"prompt": 42}', 400, "must be a string"),
        (b'{"prompt": "   "}', 422, "must not be empty"),
        (b'{"prompt": "x", "repo": "/definitely/not/here"}', 400, "not a directory"),
        (b'{"prompt": "x", "title": 7}', 400, "must be a string"),
    ],
)
def test_creating_a_task_validates_its_body(
    bare_server: ServerProcess, body: bytes, status: int, words: str
) -> None:
    response = bare_server.request(
        "POST", "/api/tasks", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert words in error(response)


def test_text_no_process_or_store_can_take_is_refused_when_a_task_is_made(
    bare_server: ServerProcess,
) -> None:
    for text, words in (("a\x00b", "must not contain a NUL"), ("a\ud800b", "is not valid Unicode")):
        for field in ("prompt", "title", "model", "repo", "agent"):
            response = bare_server.request("POST", "/api/tasks", json={"prompt": "p", field: text})
            assert response.status_code == 422, (field, response.text)
            assert f'"{field}" {words}' in error(response)
    assert bare_server.api("GET", "/api/tasks")["tasks"] == []


def test_a_nul_is_refused_in_edits_and_feedback(bare_server: ServerProcess) -> None:
    task = bare_server.create("p", title="t")
    for body in ({"prompt": "a\x00b"}, {"title": "a\x00b"}):
        response = bare_server.request("PATCH", f"/api/tasks/{task['id']}", json=body)
        assert response.status_code == 422, response.text
        assert "NUL" in error(response) and next(iter(body)) in error(response)
    feedback = bare_server.request(
        "POST", f"/api/tasks/{task['id']}/feedback", json={"message": "a\x00b"}
    )
    assert feedback.status_code == 422, feedback.text
    assert '"message" must not contain a NUL' in error(feedback)
    assert bare_server.task(task["id"])["prompt"] == "p"


def test_a_path_that_is_not_a_repository_is_a_clear_400(
    bare_server: ServerProcess, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    response = bare_server.request("POST", "/api/tasks", json={"prompt": "x", "repo": str(plain)})
    assert response.status_code == 400
    assert "not a git repository" in error(response)


def test_an_oversized_body_is_413(bare_server: ServerProcess) -> None:
    response = bare_server.request(
        "POST",
        "/api/tasks",
        data=b'{"prompt": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    error(response)


def test_an_overlong_prompt_is_refused_and_nothing_is_stored(bare_server: ServerProcess) -> None:
    response = bare_server.request("POST", "/api/tasks", json={"prompt": "x" * 100_001})
    assert response.status_code == 422
    assert "longer than" in error(response)
    assert bare_server.api("GET", "/api/tasks")["tasks"] == []


def test_the_prompt_limit_counts_utf8_bytes(bare_server: ServerProcess) -> None:
    euros = "\u20ac" * 33_334  # 100,002 bytes in 33,334 characters
    response = bare_server.request("POST", "/api/tasks", json={"prompt": euros})
    assert response.status_code == 422, response.status_code
    assert "longer than 100000 bytes" in error(response)
    assert bare_server.api("GET", "/api/tasks")["tasks"] == []

    task = bare_server.create(euros[:-1])  # 99,999 bytes
    edit = bare_server.request("PATCH", f"/api/tasks/{task['id']}", json={"prompt": euros})
    assert edit.status_code == 422 and "bytes" in error(edit)
    feedback = bare_server.request(
        "POST", f"/api/tasks/{task['id']}/feedback", json={"message": euros}
    )
    assert feedback.status_code == 422 and "message is longer than" in error(feedback)


def test_a_prompt_at_the_byte_limit_starts_a_run(server: ServerProcess) -> None:
    prompt = "say " + "\u20ac" * 33_332  # 99,990 bytes: one argument the kernel accepts
    task = server.create(prompt)
    server.act(task["id"], "start")
    done = server.wait_for(task["id"], "waiting", "failed", timeout=120)
    assert done["status"] == "waiting", done["error"]


def test_unknown_tasks_are_404(bare_server: ServerProcess) -> None:
    for method, path in [
        ("GET", "/api/tasks/nope"),
        ("DELETE", "/api/tasks/nope"),
        ("POST", "/api/tasks/nope/start"),
        ("GET", "/api/tasks/nope/diff"),
        ("GET", "/api/tasks/nope/events"),
        ("GET", "/api/tasks/nope/logs"),
    ]:
        response = bare_server.request(method, path)
        assert response.status_code == 404, (method, path)
        assert "no task" in error(response)


@pytest.mark.parametrize(
    "query", ["status=bogus", "limit=0", "limit=abc", "cursor=abc", "limit=100000", "order=x"]
)
def test_bad_list_queries_are_400(bare_server: ServerProcess, query: str) -> None:
    response = bare_server.request("GET", f"/api/tasks?{query}")
    assert response.status_code == 400
    error(response)


def test_a_wrong_method_is_405_json(bare_server: ServerProcess) -> None:
    response = bare_server.request("PUT", "/api/tasks")
    assert response.status_code == 405
    error(response)


def test_backlog_tasks_can_be_edited_and_listed_in_pages(bare_server: ServerProcess) -> None:
    ids = [bare_server.create(f"task {n}")["id"] for n in range(5)]
    edited = bare_server.api("PATCH", f"/api/tasks/{ids[0]}", {"title": "Renamed", "prompt": "p"})
    assert (edited["title"], edited["prompt"]) == ("Renamed", "p")
    bad = bare_server.request("PATCH", f"/api/tasks/{ids[0]}", json={"status": "done"})
    assert bad.status_code == 400

    first = bare_server.api("GET", "/api/tasks?limit=2")
    second = bare_server.api("GET", f"/api/tasks?limit=2&cursor={first['next']}")
    third = bare_server.api("GET", f"/api/tasks?limit=2&cursor={second['next']}")
    seen = [t["id"] for page in (first, second, third) for t in page["tasks"]]
    assert seen == list(reversed(ids))
    assert third["next"] is None
    assert len(bare_server.api("GET", "/api/tasks?status=backlog,done")["tasks"]) == 5


def test_every_route_is_in_the_openapi_document(bare_server: ServerProcess) -> None:
    from server.routes import ROUTES

    doc = bare_server.api("GET", "/api/openapi.json")
    for route in ROUTES:
        if route.api:
            assert route.method.lower() in doc["paths"][route.path]
        else:
            assert route.path not in doc["paths"], "pages are not part of the API"
    names = bare_server.api("GET", "/api/routes")
    assert names["createTask"] == {"method": "POST", "path": "/api/tasks"}


def test_a_large_body_arriving_in_pieces_is_read_whole(bare_server: ServerProcess) -> None:
    prompt = "y" * 90_000

    def trickle() -> Iterator[bytes]:
        body = ('{"prompt": "' + prompt + '"}').encode()
        for start in range(0, len(body), 7_000):
            time.sleep(0.01)  # so the server sees the body in separate reads
            yield body[start : start + 7_000]

    response = bare_server.request(
        "POST", "/api/tasks", data=trickle(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["prompt"] == prompt


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"colour": "blue"}, 400, "unknown settings"),
        ({"images": {"claude": "other:1"}}, 409, "command line"),  # pinned by --image
        ({"image": "other:1"}, 409, "command line"),  # the old name of Claude's image
        ({"codex_image": "not an image!"}, 422, "not an image reference"),  # and Codex's
        ({"images": ["other:1"]}, 400, "object of agent"),
        ({"images": {"gemini": "other:1"}}, 422, "not 'gemini'"),
        ({"images": {"codex": "not an image!"}}, 422, "not an image reference"),
        ({"max_parallel": 0}, 422, "between 1 and 64"),
        ({"max_parallel": "4"}, 400, "integer"),
        ({"memory": "lots"}, 422, "512m"),
        ({"cpus": -1}, 422, "out of range"),
        ({"default_agent": "gemini"}, 422, "default_agent"),
        ({"prices": {"codex": {"gpt": {"input": -1}}}}, 422, "at least 0"),
        ({"prices": {"claude": {"gpt": {"input": 1}}}}, 422, "not 'claude'"),  # it prints its cost
        ({"env": ["A=1"]}, 400, "object"),
        ({"env": {"1BAD": "x"}}, 422, "not a valid variable name"),
        ({"env": {"KEY": 5}}, 400, "one-line string"),
        ({"env": {"KEY": "two\nlines"}}, 400, "one-line string"),
        ({"egress": "open"}, 409, "command line"),  # pinned by --egress for this run
        ({"egress_allow": "example.com"}, 400, "list of host names"),
        ({"egress_allow": ["exa mple.com"]}, 422, "not a host name"),
        ({"egress_allow": ["^.*$"]}, 422, "not a host name"),
        ({"pids_limit": 10}, 422, "between 64 and 1000000"),
        ({"pids_limit": 512, "host_access": "yes"}, 400, "true or false"),
    ],
)
def test_settings_are_validated_and_nothing_changes_on_error(
    bare_server: ServerProcess, body: dict[str, object], status: int, words: str
) -> None:
    before = bare_server.api("GET", "/api/config")
    response = bare_server.request("PUT", "/api/config", json=body)
    assert response.status_code == status, response.text
    assert words in error(response)
    assert bare_server.api("GET", "/api/config") == before


@pytest.mark.parametrize("since", ["yesterday", "2026-01-01T00:00:00"])
def test_stats_need_a_time_with_a_zone(bare_server: ServerProcess, since: str) -> None:
    response = bare_server.request("GET", f"/api/stats?since={since}")
    assert response.status_code == 400
    assert "since" in error(response)


def test_a_bad_env_entry_leaves_the_settings_in_the_same_request_unsaved(
    bare_server: ServerProcess,
) -> None:
    before = bare_server.api("GET", "/api/config")
    response = bare_server.request(
        "PUT", "/api/config", json={"max_parallel": 2, "env": {"1BAD": "x"}}
    )
    assert response.status_code == 422
    assert bare_server.api("GET", "/api/config") == before


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/tasks", {"title": "no prompt"}, "prompt"),
        ("POST", "/api/tasks", {"prompt": "   "}, "prompt"),
        ("POST", "/api/tasks", {"prompt": "x", "title": 7}, "title"),
        ("POST", "/api/tasks", {"prompt": "x", "title": "t" * 201}, "title"),
        ("POST", "/api/tasks", {"prompt": "x", "agent": "gemini"}, "agent"),
        ("POST", "/api/tasks", {"prompt": "x", "model": "two words"}, "model"),
        ("POST", "/api/tasks", {"prompt": "x", "repo": "/definitely/not/here"}, "repo"),
        ("POST", "/api/repos", {"path": "/definitely/not/here"}, "path"),
        ("PATCH", "/api/tasks/{task}", {"position": "first"}, "position"),
        ("PATCH", "/api/tasks/{task}", {"archived": True}, "archived"),  # 409: in the backlog
        ("PATCH", "/api/tasks/{task}", {"status": "done"}, "status"),
        ("POST", "/api/tasks/{task}/feedback", {"message": " "}, "message"),
        ("PUT", "/api/config", {"max_parallel": 0}, "max_parallel"),
        ("PUT", "/api/config", {"memory": "lots"}, "memory"),
        ("PUT", "/api/config", {"egress_allow": ["exa mple.com"]}, "egress_allow"),
        ("PUT", "/api/config", {"prices": {"codex": {"gpt": {"input": -1}}}}, "prices"),
        ("PUT", "/api/config", {"images": {"claude": "other:1"}}, "images.claude"),  # pinned
        ("PUT", "/api/config", {"images": {"codex": "a b"}}, "images.codex"),
        ("PUT", "/api/config", {"colour": "blue"}, "colour"),
        ("PUT", "/api/config", {"env": {"1BAD": "x"}}, "env"),
        ("PUT", "/api/config", {"env": "A=1"}, "env"),
        ("GET", "/api/tasks?limit=0", None, "limit"),
        ("GET", "/api/tasks?status=bogus", None, "status"),
        ("GET", "/api/tasks?order=x", None, "order"),
        ("GET", "/api/tasks?cursor=abc", None, "cursor"),
        ("GET", "/api/tasks/{task}/events?after=-1", None, "after"),
        ("GET", "/api/stats?since=yesterday", None, "since"),
    ],
)
def test_errors_name_the_field_at_fault(
    bare_server: ServerProcess, method: str, path: str, body: object, field: str
) -> None:
    task = bare_server.create("p")
    response = bare_server.request(method, path.format(task=task["id"]), json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["field"] == field, response.text
    assert response.json()["error"]


def test_an_error_about_no_one_field_names_none(bare_server: ServerProcess) -> None:
    response = bare_server.request(
        "POST", "/api/tasks", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    doc = bare_server.api("GET", "/api/openapi.json")
    schema = doc["paths"]["/api/tasks"]["post"]["responses"]["4XX"]["content"]
    assert schema["application/json"]["schema"]["properties"]["field"]["type"] == "string"
