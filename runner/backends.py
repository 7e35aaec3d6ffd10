"""Which backend runs a server's tasks, chosen once per instance (``--backend``).

``local`` is this machine's engine, binding each workspace; ``swarm`` runs each
run as a Swarm service and ``kubernetes`` as a Job, both shipping its files
(``runner.swarm``, ``runner.kube``). Each is an ``Engine``, with the egress
proxy of its kind, so the server's calls keep their shape whichever it is.
"""

from __future__ import annotations

from runner.containers import Engine
from runner.egress import Egress
from runner.errors import RunnerError
from runner.kube import KubeEngine
from runner.kubeegress import KubeEgress
from runner.swarm import SwarmEngine

BACKENDS = ("local", "swarm", "kubernetes")


def open_engine(
    backend: str,
    advertise_url: str | None,
    constraints: tuple[str, ...],
    nodes: tuple[str, ...],
    namespace: str = "default",
) -> Engine:
    if backend in ("swarm", "kubernetes") and not advertise_url:
        raise RunnerError(
            f"the {backend} backend needs --advertise-url: how its nodes reach the app"
        )
    if backend == "swarm":
        assert advertise_url is not None
        return SwarmEngine(advertise_url, constraints, nodes)
    if backend == "kubernetes":
        assert advertise_url is not None
        return KubeEngine(advertise_url, namespace, constraints)
    return Engine()


def open_egress(engine: Engine, instance: str) -> Egress:
    """The allowlist mode's proxy where the engine runs its tasks."""
    if isinstance(engine, KubeEngine):
        return KubeEgress(engine, instance)
    return Egress(engine, instance)
