"""Where a preview reaches a swarm run: the run's address on an overlay only when
this app's own container is on it; otherwise the reason, naming what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.reach import Unreachable
from runner.swarm import SwarmEngine


def _engine(tmp_path: Path, state: str, own: list[str]) -> SwarmEngine:
    engine = SwarmEngine("http://app.lan:8080", tmp_path)
    task: dict[str, Any] = {
        "NodeID": "node-1",
        "Status": {"State": state},
        "NetworksAttachments": [
            {"Network": {"Spec": {"Name": "tasks-net"}}, "Addresses": ["10.0.9.7/24"]}
        ],
    }
    engine._task = lambda run: task  # type: ignore[method-assign]
    engine._own_networks = lambda: own  # type: ignore[method-assign]
    return engine


def test_a_run_on_the_apps_own_overlay_is_reached_there(tmp_path: Path) -> None:
    assert _engine(tmp_path, "running", ["bridge", "tasks-net"]).address("wf-a-1") == "10.0.9.7"


def test_an_app_on_no_overlay_of_the_run_is_told_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(Unreachable, match=r"on tasks-net, which this app is not on.*--network"):
        _engine(tmp_path, "running", []).address("wf-a-1")


def test_a_run_not_running_has_no_preview(tmp_path: Path) -> None:
    with pytest.raises(Unreachable, match="not running"):
        _engine(tmp_path, "complete", ["tasks-net"]).address("wf-a-1")
