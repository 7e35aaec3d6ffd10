"""The transition table is the whole truth about which moves are legal."""

from __future__ import annotations

import json

import pytest

from server.errors import InvalidTransition
from server.model import Task
from server.states import (
    ARCHIVABLE,
    BACKLOG_ONLY,
    COLUMNS,
    NEEDS_YOU,
    RUNNING,
    TRANSITIONS,
    USER_ACTIONS,
    Action,
    Status,
    describe,
    target,
    user_actions,
)
from server.store import Store
from tests.server_process import ServerProcess


def test_the_table_matches_the_specified_state_machine() -> None:
    edges = {(frm.value, to.value) for (frm, _), to in TRANSITIONS.items()}
    assert edges == {
        ("backlog", "in_progress"),
        ("in_progress", "waiting"),
        ("in_progress", "failed"),
        ("in_progress", "cancelled"),
        ("waiting", "in_progress"),
        ("waiting", "committing"),
        ("waiting", "cancelled"),
        ("committing", "done"),
        ("committing", "failed"),
        ("committing", "waiting"),
        ("committing", "in_progress"),
        ("in_progress", "committing"),
        ("failed", "backlog"),
        ("failed", "in_progress"),
        ("failed", "cancelled"),
        ("cancelled", "backlog"),
        ("backlog", "cancelled"),  # superseded: another attempt at its prompt landed
    }
    superseded = {frm for (frm, act) in TRANSITIONS if act == Action.SUPERSEDE}
    assert superseded == {Status.BACKLOG, Status.IN_PROGRESS, Status.WAITING, Status.FAILED}
    assert Action.SUPERSEDE not in USER_ACTIONS


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_move_outside_the_table_is_refused_naming_both_states(
    status: Status, action: Action
) -> None:
    if (status, action) in TRANSITIONS:
        assert target(status, action) == TRANSITIONS[(status, action)]
        return
    with pytest.raises(InvalidTransition) as refused:
        target(status, action)
    message = str(refused.value)
    assert f"that is {status}" in message
    destinations = {to for (_, act), to in TRANSITIONS.items() if act == action}
    assert all(str(to) in message for to in destinations)


def test_done_is_final_and_offers_only_housekeeping() -> None:
    assert user_actions(Status.DONE) == ["archive", "delete"]
    assert user_actions(Status.WAITING) == [
        "feedback",
        "accept",
        "cancel",
        "sync",
        "verify",
        "delete",
    ]


def test_the_columns_show_every_status_exactly_once() -> None:
    shown = [s for column in COLUMNS for s in column.statuses]
    assert sorted(shown) == sorted(Status)
    assert {c.name: sorted(c.statuses) for c in COLUMNS} == {
        "backlog": ["backlog"],
        "in_progress": ["committing", "in_progress"],
        "waiting": ["failed", "waiting"],
        "done": ["cancelled", "done"],
    }


@pytest.mark.parametrize("status", list(Status))
def test_a_task_lists_every_action_valid_in_its_status(status: Status) -> None:
    moves = [str(a) for (frm, a), _ in TRANSITIONS.items() if frm == status and a in USER_ACTIONS]
    actions = Task(id="t", prompt="p", status=status, repo="/r").to_json()["actions"]
    assert actions[: len(moves)] == moves
    assert ("edit" in actions) == (status == Status.BACKLOG)
    assert ("archive" in actions) == (status in (Status.DONE, Status.CANCELLED))
    assert "unarchive" not in actions
    assert ("delete" in actions) == (status not in (Status.IN_PROGRESS, Status.COMMITTING))
    assert ("sync" in actions) == (status in (Status.WAITING, Status.FAILED))
    assert ("verify" in actions) == (status in (Status.WAITING, Status.FAILED))
    archived = Task(id="t", prompt="p", status=status, repo="/r", archived=True).to_json()
    if status in ARCHIVABLE:
        assert "unarchive" in archived["actions"] and "archive" not in archived["actions"]


def test_the_states_route_sends_the_rules_of_this_module(bare_server: ServerProcess) -> None:
    sent = bare_server.api("GET", "/api/states")
    assert sent == json.loads(json.dumps(describe()))
    assert sent["statuses"] == [s.value for s in Status]
    assert [c["name"] for c in sent["columns"]] == [c.name for c in COLUMNS]
    for column, spec in zip(sent["columns"], COLUMNS, strict=True):
        assert set(column["statuses"]) == set(spec.statuses)
    assert set(sent["groups"]["needs_you"]) == set(NEEDS_YOU) == {"waiting", "failed"}
    assert set(sent["groups"]["running"]) == set(RUNNING) == {"in_progress", "committing"}
    assert set(sent["groups"]["archivable"]) == set(ARCHIVABLE)
    assert set(sent["groups"]["verifiable"]) == {"waiting", "failed"}
    assert sent["backlog_only"] == sorted(BACKLOG_ONLY)
    edges = {(t["from"], t["action"]): t["to"] for t in sent["transitions"]}
    assert edges == {(str(f), str(a)): str(to) for (f, a), to in TRANSITIONS.items()}
    users = {t["action"] for t in sent["transitions"] if t["user"]}
    assert users == {str(a) for a in USER_ACTIONS}
    assert set(sent["labels"]) == set(sent["statuses"])


@pytest.mark.parametrize("status", list(Status))
def test_the_server_allows_exactly_the_listed_changes(
    bare_server: ServerProcess, status: Status
) -> None:
    """What ``task.actions`` offers is what the server does, and nothing else."""
    task_id = bare_server.create("p", title="t")["id"]
    store = Store(bare_server.data_dir / "wallfacer.db")
    try:
        if status != Status.BACKLOG:
            assert store.transition(task_id, Status.BACKLOG, status, "set up by the test")
    finally:
        store.close()
    path = f"/api/tasks/{task_id}"
    actions = bare_server.task(task_id)["actions"]
    assert actions == Task(id="t", prompt="p", status=status, repo="/r").to_json()["actions"]

    edit = bare_server.request("PATCH", path, json={"title": "renamed"})
    assert edit.status_code == (200 if "edit" in actions else 409), edit.text
    archive = bare_server.request("PATCH", path, json={"archived": True})
    assert archive.status_code == (200 if "archive" in actions else 409), archive.text
    if archive.status_code == 200:
        assert bare_server.task(task_id)["actions"] == user_actions(status, archived=True)
        unarchive = bare_server.request("PATCH", path, json={"archived": False})
        assert unarchive.status_code == 200, unarchive.text
    delete = bare_server.request("DELETE", path)
    assert delete.status_code == (200 if "delete" in actions else 409), delete.text
