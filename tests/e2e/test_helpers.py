"""Helper agents on the real engine: side sessions of the fake agent (its ``answer``
command says what they answer) name new tasks and write accept's commit message,
their cost recorded under their own activity; without credentials, or when the
helper fails, the prompt's first line, cleaned, is used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygit2

from tests.polling import until
from tests.server_process import ServerProcess

SESSION_USD = 0.0125


def activities(server: ServerProcess, task_id: str) -> list[tuple[str, float, bool]]:
    turns = server.api("GET", f"/api/tasks/{task_id}/turns")["turns"]
    return [(t["activity"], t["cost_usd"], bool(t["is_error"])) for t in turns]


def titled(server: ServerProcess, task_id: str) -> dict[str, Any]:
    """The task once it has a title of its own: until then its prompt's first line shows."""

    def named() -> dict[str, Any]:
        task = server.task(task_id)
        return task if task["title"] != task["prompt"].splitlines()[0] else {}

    return until("a title", named)


def message(repo: Path, commit: str) -> str:
    return str(pygit2.Repository(str(repo))[commit].peel(pygit2.Commit).message)


def helpers_on(server: ServerProcess) -> None:
    server.api("PUT", "/api/config", {"helpers": True})


def test_a_task_made_without_a_title_is_named(server: ServerProcess) -> None:
    helpers_on(server)
    made = server.create("answer Fix the login bug\nwrite login.txt fixed")

    task = titled(server, made["id"])

    assert task["title"] == "Fix the login bug"
    assert activities(server, made["id"]) == [("title", SESSION_USD, False)]
    assert task["usage"]["cost_usd"] == SESSION_USD
    assert task["status"] == "backlog"
    # A title given is kept: no helper asked.
    given = server.create("answer Something else", title="Mine")
    assert server.task(given["id"])["title"] == "Mine"
    assert activities(server, given["id"]) == []


def test_a_failed_helper_falls_back_to_the_prompts_first_line_cleaned(
    server: ServerProcess,
) -> None:
    helpers_on(server)
    made = server.create("## Fix: the **parser** !!!\nfail")

    task = titled(server, made["id"])

    assert task["title"] == "Fix: the parser"
    # The failed session still cost what it reported.
    assert activities(server, made["id"]) == [("title", SESSION_USD, True)]
    [note] = [
        e["data"]["message"]
        for e in server.events(made["id"])
        if "helper gave no answer" in e["data"].get("message", "")
    ]
    assert note.startswith("the title helper gave no answer (the agent failed")


def test_without_credentials_the_first_line_is_used_at_once(server: ServerProcess) -> None:
    """Codex has no image of the test's and no credentials here: no session starts."""
    helpers_on(server)
    made = server.create("`refactor` the [cache](http://x) layer\nmore", agent="codex")

    task = titled(server, made["id"])

    assert task["title"] == "refactor the cache layer"
    assert activities(server, made["id"]) == []
    [note] = [e for e in server.events(made["id"]) if e["type"] == "system"]
    assert "codex has no credentials" in note["data"]["message"]


def test_with_helpers_off_nothing_is_asked(server: ServerProcess) -> None:
    made = server.create("answer Never asked")

    assert made["title"] == "answer Never asked"  # the prompt's first line, as ever
    assert server.task(made["id"])["title"] == "answer Never asked"
    assert activities(server, made["id"]) == []


def test_the_accept_lands_with_the_helpers_commit_message(
    server: ServerProcess, repo: Path
) -> None:
    helpers_on(server)
    made = server.create(
        "write notes.txt hi\nanswer docs: add the notes\\n\\nThey say hi.", title="Notes"
    )
    server.act(made["id"], "start")
    server.wait_for(made["id"], "waiting")

    server.act(made["id"], "accept")
    done = server.wait_for(made["id"], "done", "waiting", "failed", timeout=60)

    assert done["status"] == "done", done
    landed = message(repo, done["landed_commit"])
    assert landed.rstrip("\n") == "docs: add the notes\n\nThey say hi."
    assert activities(server, made["id"]) == [
        ("run", SESSION_USD, False),
        ("commit", SESSION_USD, False),
    ]
    # A message the person wrote wins: no helper is asked.
    other = server.create("write other.txt hi", title="Other")
    server.act(other["id"], "start")
    server.wait_for(other["id"], "waiting")
    server.act(other["id"], "accept", {"message": "Mine, as typed"})
    done = server.wait_for(other["id"], "done", "waiting", "failed", timeout=60)
    assert message(repo, done["landed_commit"]).startswith("Mine")
    assert [a for a, _, _ in activities(server, other["id"])] == ["run"]
