"""Search over every task (SQLite FTS5), its filters, and bulk actions, on real SQLite and HTTP."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from runner.agents import RunResult, Usage
from server import output
from server.model import Task
from server.redact import Redactor
from server.states import Status
from server.store import Output, Store
from server.store.db import MIGRATIONS, migrate
from tests.inprocess import InProcessServer
from tests.server_process import ServerProcess


def add(
    store: Store,
    prompt: str,
    status: Status = Status.BACKLOG,
    title: str = "",
    agent: str = "claude",
    repo: str = "/r",
) -> Task:
    task = store.create_task(
        Task(str(uuid.uuid4()), prompt, Status.BACKLOG, repo, title=title, agent=agent)
    )
    return store.update_task(task.id, status=status) if status is not Status.BACKLOG else task


def found(store: Store, text: str, **filters: object) -> set[str]:
    tasks, _ = store.list_tasks(limit=1000, text=text, **filters)  # type: ignore[arg-type]
    return {t.prompt for t in tasks}


def test_words_match_title_prompt_and_result_as_words_or_their_starts(store: Store) -> None:
    add(store, "fix the login redirect", title="Auth bug")
    add(store, "write the release notes")
    deploy = add(store, "ship it")
    result = RunResult("s1", False, "Deployed to staging with zero downtime", Usage())
    recorder = output.Recorder(store, deploy.id, lambda line: [result], output.RunState())
    recorder.record(["{}"], Redactor({}), 2**40)
    assert found(store, "login") == {"fix the login redirect"}
    assert found(store, "auth") == {"fix the login redirect"}  # the title, any case
    assert found(store, "redir") == {"fix the login redirect"}  # a word's start
    assert found(store, "staging downtime") == {"ship it"}  # the result; every word
    assert found(store, "staging login") == set()
    assert found(store, "   ") == {"fix the login redirect", "write the release notes", "ship it"}


def test_the_latest_result_replaces_the_last_and_edits_and_deletes_follow(store: Store) -> None:
    task = add(store, "ship it")
    for text in ("first answer", "second answer"):
        store.append_outputs(task.id, [Output('{"events": []}', result=text)], 1, 2**40)
    assert found(store, "first") == set()
    assert found(store, "second") == {"ship it"}
    store.update_task(task.id, prompt="ship it now")
    assert found(store, "now") == {"ship it now"}
    store.delete_task(task.id)
    assert found(store, "second") == set()


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "AND(",
        "*",
        "NEAR",
        "NEAR(a b)",
        "a OR",
        "title:x",
        "^start",
        "-x",
        "(",
        ")",
        "'",
        "a AND NOT",
        "\\",
        "💥",
        '"" "',
        "{title prompt}: x",
        "+",
        "x*y",
        "a:b:c",
    ],
)
def test_hostile_text_is_searched_for_never_parsed(store: Store, text: str) -> None:
    add(store, "an ordinary prompt")
    found(store, text)  # no sqlite3.OperationalError
    add(store, f"a prompt holding {text} itself")
    if any(c.isalnum() for c in text):
        assert f"a prompt holding {text} itself" in found(store, text)


def test_statuses_repos_and_agents_narrow_a_search(store: Store) -> None:
    add(store, "deploy one", Status.DONE)
    add(store, "deploy two", Status.FAILED, agent="codex")
    add(store, "deploy three", Status.BACKLOG, repo="/other")
    assert found(store, "deploy", statuses=[Status.DONE]) == {"deploy one"}
    assert found(store, "deploy", agents=["codex"]) == {"deploy two"}
    assert found(store, "deploy", repos=["/other"]) == {"deploy three"}


def test_an_older_store_is_indexed_with_each_tasks_latest_result(tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir()
    for sql in sorted(MIGRATIONS.glob("*.sql"))[:3]:
        (older / sql.name).write_text(sql.read_text())
    path = tmp_path / "wallfacer.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        migrate(db, older)
        db.execute(
            "INSERT INTO tasks (id, prompt, status, repo, created_at, updated_at)"
            " VALUES ('t1', 'old prompt', 'waiting', '/r', 'x', 'x')"
        )
        result = '{"line": "{}", "events": [{"kind": "result", "text": "%s"}]}'
        db.executemany(
            "INSERT INTO task_events (task_id, type, data, at) VALUES ('t1', ?, ?, 'x')",
            [
                ("output", result % "an earlier verdict"),
                ("output", '{"line": "x", "events": [{"kind": "text", "text": "chatter"}]}'),
                ("output", result % "the final verdict"),
                ("output", '{"line": "not json events"}'),
            ],
        )
    store = Store(path)
    try:
        assert found(store, "final verdict") == {"old prompt"}
        assert found(store, "earlier") == set()
        assert found(store, "chatter") == set()
        assert found(store, "old") == {"old prompt"}
    finally:
        store.close()


# --- over HTTP -------------------------------------------------------------------


@pytest.fixture
def seeded(tmp_path: Path, repo: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A server over a store holding tasks in several states (no run needed)."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "wallfacer.db")
    ids = {}
    for prompt, status in [
        ("deploy the docs", Status.DONE),
        ("deploy the site", Status.CANCELLED),
        ("deploy the api", Status.FAILED),
        ("deploy nothing yet", Status.BACKLOG),
        ("unrelated chore", Status.DONE),
    ]:
        task = store.create_task(
            Task(id=str(uuid.uuid4()), prompt=prompt, status=Status.BACKLOG, repo=str(repo))
        )
        if status is not Status.BACKLOG:
            store.update_task(task.id, status=status)
        ids[prompt] = task.id
    store.close()
    server = InProcessServer(data, [repo], image="wallfacer-test-never-used:0")
    server.start()
    yield server, ids
    server.stop()


def prompts(server: ServerProcess, query: str) -> set[str]:
    return {t["prompt"] for t in server.api("GET", f"/api/tasks?{query}")["tasks"]}


def test_search_over_http_with_filters(seeded: tuple[ServerProcess, dict[str, str]]) -> None:
    server, _ = seeded
    assert len(prompts(server, "q=deploy")) == 4
    assert prompts(server, "q=deploy&status=done,cancelled") == {
        "deploy the docs",
        "deploy the site",
    }
    assert prompts(server, "q=deploy&agent=claude&status=backlog") == {"deploy nothing yet"}
    assert prompts(server, "q=deploy&agent=codex") == set()
    repo = server.api("GET", "/api/repos")["repos"][0]["path"]
    assert len(prompts(server, f"q=deploy&repo={repo}")) == 4
    page = server.api("GET", "/api/tasks?q=deploy&limit=3")
    rest = server.api("GET", f"/api/tasks?q=deploy&limit=3&cursor={page['next']}")
    assert len(page["tasks"]) == 3 and len(rest["tasks"]) == 1 and rest["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=" + "x" * 501, "q"),
        ("q=a%00b", "q"),
        ("agent=nope", "agent"),
        ("repo=/not/registered", "repo"),
        ("status=gone", "status"),
    ],
)
def test_bad_search_input_names_its_field(
    seeded: tuple[ServerProcess, dict[str, str]], query: str, field: str
) -> None:
    response = seeded[0].request("GET", f"/api/tasks?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize("text", ['"', "AND(", "*", "NEAR", "%22%22%22", "a%20OR", "col:x"])
def test_hostile_search_text_is_never_a_500(
    seeded: tuple[ServerProcess, dict[str, str]], text: str
) -> None:
    response = seeded[0].request("GET", f"/api/tasks?q={text}")
    assert response.status_code == 200, response.text


def test_bulk_archive_goes_task_by_task(seeded: tuple[ServerProcess, dict[str, str]]) -> None:
    server, ids = seeded
    missing = str(uuid.uuid4())
    wanted = [ids["deploy the docs"], ids["deploy the api"], missing, ids["deploy the docs"]]
    results = server.api("POST", "/api/tasks/bulk", {"action": "archive", "ids": wanted})["results"]
    assert [(r["id"], r["ok"], r.get("status")) for r in results] == [
        (ids["deploy the docs"], True, None),
        (ids["deploy the api"], False, 409),  # failed tasks cannot be archived
        (missing, False, 404),
    ]
    assert results[0]["task"]["archived"] is True
    assert "failed" in results[1]["error"]
    archived = server.api("GET", "/api/tasks?archived=true")["tasks"]
    assert [t["id"] for t in archived] == [ids["deploy the docs"]]
    assert "unarchive" in archived[0]["actions"]


def test_archive_all_done_selects_by_status(seeded: tuple[ServerProcess, dict[str, str]]) -> None:
    server, _ = seeded
    body = {"action": "archive", "status": ["done", "cancelled"]}
    results = server.api("POST", "/api/tasks/bulk", body)["results"]
    assert len(results) == 3 and all(r["ok"] for r in results)
    assert prompts(server, "archived=true") == {
        "deploy the docs",
        "deploy the site",
        "unrelated chore",
    }
    back = server.api("POST", "/api/tasks/bulk", {"action": "unarchive", "ids": [results[0]["id"]]})
    assert back["results"][0]["task"]["archived"] is False


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"action": "explode", "ids": ["x"]}, 400, "action"),
        ({"ids": ["x"]}, 400, "action"),
        ({"action": "cancel"}, 400, "ids"),
        ({"action": "cancel", "ids": []}, 400, "ids"),
        ({"action": "cancel", "ids": "x"}, 400, "ids"),
        ({"action": "cancel", "ids": [1]}, 400, "ids"),
        ({"action": "cancel", "ids": ["x"] * 1001}, 413, "ids"),
        ({"action": "cancel", "status": ["done"]}, 400, "status"),
        ({"action": "archive", "status": ["nope"]}, 400, "status"),
        ({"action": "archive", "status": []}, 400, "status"),
        ({"action": "archive", "status": ["done"], "ids": ["x"]}, 400, "ids"),
    ],
)
def test_bad_bulk_requests_name_their_field(
    bare_server: ServerProcess, body: dict[str, object], status: int, field: str
) -> None:
    response = bare_server.request("POST", "/api/tasks/bulk", json=body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
