"""The swarm engine's own judgements, without a swarm: a kill for memory (its node's
engine is believed; only where the app reaches none of that node's is a kill, 137,
under a memory limit taken for one) and the run URLs' once-only marks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runner.errors import ShipDenied
from runner.shipping import Plan
from runner.swarm import LABEL_PLAN, LABEL_TOKEN, SwarmEngine, _hash


class Seen:
    """The nodes' engines as ``swarmnodes.Nodes`` answers for them."""

    def __init__(self, state: dict[str, Any] | None) -> None:
        self.state = state

    def container(self, node_id: str, container_id: str) -> dict[str, Any] | None:
        assert (node_id, container_id) == ("node-1", "container-1")
        return None if self.state is None else {"State": self.state}


def _task(limit: int) -> dict[str, Any]:
    return {
        "NodeID": "node-1",
        "Status": {"ContainerStatus": {"ContainerID": "container-1", "ExitCode": 137}},
        "Spec": {"Resources": {"Limits": {"MemoryBytes": limit} if limit else {}}},
    }


@pytest.mark.parametrize(
    ("state", "limit", "code", "oom"),
    [
        ({"OOMKilled": True}, 2**26, 137, True),
        ({"OOMKilled": True}, 2**26, 0, True),  # a child killed; the agent went on
        ({"OOMKilled": False}, 2**26, 137, False),  # killed, but not for memory
        (None, 2**26, 137, True),  # no engine of that node: the kill under a limit
        (None, 0, 137, False),
        (None, 2**26, 1, False),
    ],
)
def test_a_kill_for_memory_is_told_as_the_node_says(
    state: dict[str, Any] | None, limit: int, code: int, oom: bool, tmp_path: Path
) -> None:
    engine = SwarmEngine("http://app.lan:8080", tmp_path)
    engine.nodes = Seen(state)  # type: ignore[assignment]
    assert engine._oom(_task(limit), code) is oom


def _engine(marks: Path) -> SwarmEngine:
    """An app's engine whose manager knows every run, each with the token "good"."""
    engine = SwarmEngine("http://app.lan:8080", marks)
    plan = Plan({}, {}, "task", "/home", None, [], False).dumps()
    service = {"Spec": {"Labels": {LABEL_TOKEN: _hash("good"), LABEL_PLAN: plan}}}
    api = SimpleNamespace(inspect_service=None, remove_service=None)
    engine.client = lambda: SimpleNamespace(api=api)  # type: ignore[method-assign]
    engine._call = lambda fn, *args, **kwargs: service  # type: ignore[method-assign]
    return engine


def test_each_way_is_granted_once_even_across_an_app_restart(tmp_path: Path) -> None:
    before = _engine(tmp_path / "marks")
    before._plan("wf-a-1", "good", "in")
    with pytest.raises(ShipDenied, match="already sent in"):
        before._plan("wf-a-1", "good", "in")
    after = _engine(tmp_path / "marks")  # the app restarted
    with pytest.raises(ShipDenied, match="already sent in"):
        after._plan("wf-a-1", "good", "in")
    with pytest.raises(ShipDenied, match="not this run's token"):
        after._plan("wf-a-1", "wrong", "out")
    after._plan("wf-a-1", "good", "out")  # a wrong token took nothing
    with pytest.raises(ShipDenied, match="already sent out"):
        _engine(tmp_path / "marks")._plan("wf-a-1", "good", "out")


def test_a_removed_run_leaves_no_mark_and_a_name_is_no_path(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "marks")
    engine._plan("wf-a-1", "good", "in")
    engine.remove("wf-a-1")
    assert list((tmp_path / "marks").iterdir()) == []
    with pytest.raises(ShipDenied, match="no such run"):
        engine._plan("wf-../../x", "good", "in")
