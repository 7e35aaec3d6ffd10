"""Which backend runs a server's tasks, chosen once per instance (``--backend``).

``local`` is this machine's engine, binding each workspace; ``swarm`` runs each
run as a Swarm service and ships its files (``runner.swarm``). Both are an
``Engine``, so the server's calls keep their shape whichever it is.
"""

from __future__ import annotations

from pathlib import Path

from runner.containers import Engine
from runner.egress import Egress
from runner.errors import RunnerError
from runner.swarm import SwarmEngine
from runner.swarmnet import SwarmEgress

BACKENDS = ("local", "swarm")
# The egress modes a backend can run where it cannot run them all: a swarm run
# fetches its files from the app, so it needs a network.
EGRESS_MODES = {"swarm": ("allowlist", "open")}


def open_engine(
    backend: str,
    advertise_url: str | None,
    constraints: tuple[str, ...],
    nodes: tuple[str, ...],
    marks: Path,
) -> Engine:
    if backend == "swarm":
        if not advertise_url:
            raise RunnerError(
                "the swarm backend needs --advertise-url: how its nodes reach the app"
            )
        return SwarmEngine(advertise_url, marks, constraints, nodes)
    return Engine()


def open_egress(engine: Engine, instance: str) -> Egress:
    """The allowlist's proxy and networks where the engine runs its tasks."""
    return (
        SwarmEgress(engine, instance)
        if isinstance(engine, SwarmEngine)
        else Egress(engine, instance)
    )
