"""A remote run's transfers (``remote.Shipments``): each way granted once, for the
run's own token, marked by a file that outlives the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import ShipDenied
from runner.remote import Shipments, token_hash
from runner.shipping import Plan

FOUND = (token_hash("good"), Plan({}, {}, "task", "/home", None, [], False).dumps())


def test_each_way_is_granted_once_even_across_an_app_restart(tmp_path: Path) -> None:
    before = Shipments(tmp_path / "marks")
    before.plan("wf-a-1", "good", FOUND, "in")
    with pytest.raises(ShipDenied, match="already sent in"):
        before.plan("wf-a-1", "good", FOUND, "in")
    after = Shipments(tmp_path / "marks")  # the app restarted
    with pytest.raises(ShipDenied, match="already sent in"):
        after.plan("wf-a-1", "good", FOUND, "in")
    with pytest.raises(ShipDenied, match="not this run's token"):
        after.plan("wf-a-1", "wrong", FOUND, "out")
    after.plan("wf-a-1", "good", FOUND, "out")  # a wrong token took nothing
    with pytest.raises(ShipDenied, match="already sent out"):
        Shipments(tmp_path / "marks").plan("wf-a-1", "good", FOUND, "out")


def test_a_forgotten_run_leaves_no_mark_and_a_name_is_no_path(tmp_path: Path) -> None:
    shipments = Shipments(tmp_path / "marks")
    shipments.plan("wf-a-1", "good", FOUND, "in")
    shipments.forget("wf-a-1")
    assert list((tmp_path / "marks").iterdir()) == []
    with pytest.raises(ShipDenied, match="no such run"):
        shipments.plan("wf-../../x", "good", FOUND, "in")
    assert list(tmp_path.iterdir()) == [tmp_path / "marks"]
