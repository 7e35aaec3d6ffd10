"""A remote run's transfers (``remote.Shipments``): each way granted once, for the
run's own token, by a plan kept on the app's host, marked by files that outlive the app."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from runner.errors import ShipDenied
from runner.remote import Shipments
from runner.shipping import Plan

PLAN = Plan({}, {}, "task", "/home", None, [], False)


def test_each_way_is_granted_once_even_across_an_app_restart(tmp_path: Path) -> None:
    before = Shipments(tmp_path / "marks")
    before.remember("wf-a-1", "good", PLAN)
    assert before.plan("wf-a-1", "good", "in") == PLAN
    with pytest.raises(ShipDenied, match="already sent in"):
        before.plan("wf-a-1", "good", "in")
    after = Shipments(tmp_path / "marks")  # the app restarted
    with pytest.raises(ShipDenied, match="already sent in"):
        after.plan("wf-a-1", "good", "in")
    with pytest.raises(ShipDenied, match="not this run's token"):
        after.plan("wf-a-1", "wrong", "out")
    with pytest.raises(ShipDenied, match="not this run's token"):
        after.check("wf-a-1", "wrong")
    after.check("wf-a-1", "good")  # a check marks nothing
    after.plan("wf-a-1", "good", "out")  # a wrong token took nothing
    with pytest.raises(ShipDenied, match="already sent out"):
        Shipments(tmp_path / "marks").plan("wf-a-1", "good", "out")


def test_a_run_the_app_did_not_plan_gets_nothing(tmp_path: Path) -> None:
    """Nothing of a run's object on the cluster is trusted: with no plan of the app's
    own, a run is unknown, whatever the cluster says of it."""
    shipments = Shipments(tmp_path / "marks")
    with pytest.raises(ShipDenied, match="no such run"):
        shipments.check("wf-made-elsewhere-1", "any")


def test_a_forgotten_run_leaves_no_mark_and_a_name_is_no_path(tmp_path: Path) -> None:
    shipments = Shipments(tmp_path / "marks")
    shipments.remember("wf-a-1", "good", PLAN)
    shipments.plan("wf-a-1", "good", "in")
    shipments.forget("wf-a-1")
    assert list((tmp_path / "marks").iterdir()) == []
    with pytest.raises(ShipDenied, match="no such run"):
        shipments.plan("wf-a-1", "good", "out")
    with pytest.raises(ShipDenied, match="no such run"):
        shipments.plan("wf-../../x", "good", "in")
    assert list(tmp_path.iterdir()) == [tmp_path / "marks"]


def _ask_until_gone(shipments: Shipments, run: str, granted: list[str]) -> None:
    """A hostile run's fetches, over and over until its plan is gone."""
    while (shipments.marks / f"{run}.plan").exists():
        try:
            shipments.plan(run, "good", "in")
            granted.append(run)
        except ShipDenied:
            pass


def test_a_removal_racing_a_transfer_grants_no_second_one(tmp_path: Path) -> None:
    """A run asks for its files again and again while it is removed: none is granted
    a second time, and no mark is left behind."""
    shipments = Shipments(tmp_path / "marks")
    granted: list[str] = []
    for number in range(300):
        run = f"wf-a-{number}"
        shipments.remember(run, "good", PLAN)
        shipments.plan(run, "good", "in")
        asker = threading.Thread(target=_ask_until_gone, args=(shipments, run, granted))
        asker.start()
        shipments.forget(run)
        asker.join()
    assert granted == []
    assert list((tmp_path / "marks").iterdir()) == []
