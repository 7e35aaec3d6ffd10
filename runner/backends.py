"""Which backend runs a server's tasks, chosen once per instance (``--backend``).

``local`` is this machine's engine, binding each workspace; ``swarm`` runs each
run as a Swarm service and ``kubernetes`` as a Job, both shipping its files
(``runner.swarm``, ``runner.kube``). Each is an ``Engine``, with the egress
proxy of its kind, so the server's calls keep their shape whichever it is.
"""

from __future__ import annotations

from pathlib import Path

from runner.containers import Engine
from runner.egress import Egress
from runner.errors import RunnerError
from runner.kube import KubeEngine
from runner.kubeegress import KubeEgress
from runner.swarm import SwarmEngine
from runner.swarmnet import SwarmEgress

BACKENDS = ("local", "swarm", "kubernetes")
# The egress modes a backend can run where it cannot run them all: a remote run
# fetches its files from the app, so it needs a network.
EGRESS_MODES = {"swarm": ("allowlist", "open"), "kubernetes": ("allowlist", "open")}


def open_engine(
    backend: str,
    advertise_url: str | None,
    constraints: tuple[str, ...],
    nodes: tuple[str, ...],
    marks: Path,
    namespace: str = "default",
) -> Engine:
    """``marks``: where a remote run's transfers are marked done (``remote``)."""
    if backend in ("swarm", "kubernetes") and not advertise_url:
        raise RunnerError(
            f"the {backend} backend needs --advertise-url: how its nodes reach the app"
        )
    if backend == "swarm":
        assert advertise_url is not None
        return SwarmEngine(advertise_url, marks, constraints, nodes)
    if backend == "kubernetes":
        assert advertise_url is not None
        return KubeEngine(advertise_url, namespace, marks, constraints)
    return Engine()


def open_egress(engine: Engine, instance: str) -> Egress:
    """The allowlist mode's proxy where the engine runs its tasks."""
    if isinstance(engine, KubeEngine):
        return KubeEgress(engine, instance)
    if isinstance(engine, SwarmEngine):
        return SwarmEgress(engine, instance)
    return Egress(engine, instance)
