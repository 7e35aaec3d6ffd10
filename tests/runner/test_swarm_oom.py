"""A swarm run's kill for memory: its node's engine is believed, and only where the
app reaches none of that node's is a kill (137) under a memory limit taken for one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.swarm import SwarmEngine


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


@pytest.mark.parametrize("reported", ["../../images/json", "abc", "A" * 64, "0" * 63 + "/"])
def test_a_container_id_a_node_made_up_is_never_sent_to_an_engine(
    reported: str, tmp_path: Path
) -> None:
    engine = SwarmEngine("http://app.lan:8080", tmp_path)
    engine.client = lambda: pytest.fail("no engine is asked")  # type: ignore[method-assign]
    assert engine.nodes.container("node-1", reported) is None
