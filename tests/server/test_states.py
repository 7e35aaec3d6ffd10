"""The transition table is the whole truth about which moves are legal."""

from __future__ import annotations

import pytest

from server.errors import InvalidTransition
from server.states import TRANSITIONS, Action, Status, target, user_actions


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
        ("failed", "backlog"),
        ("failed", "in_progress"),
        ("failed", "cancelled"),
        ("cancelled", "backlog"),
    }


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


def test_done_is_final_and_offers_nothing() -> None:
    assert user_actions(Status.DONE) == []
    assert user_actions(Status.WAITING) == ["feedback", "accept", "cancel"]
