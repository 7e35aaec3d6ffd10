"""The address where the host reaches a running task container, for the preview proxy.

Only a network the host has a route to will do: a bridge that is not
``internal``. The allowlist mode's internal network is made without a host
address on purpose (``runner.egress``), so that a task cannot reach the
host's services; that same choice means the host cannot reach the task, and
we say so instead of punching a hole. A container made ahead joined a
holder's namespace (``runner.holders``): its address is the holder's. The
docker SDK is synchronous: call this from worker threads only.
"""

from __future__ import annotations

from typing import Any

import docker.errors

from runner import holders
from runner.containers import Engine
from runner.errors import RunnerError


class Unreachable(RunnerError):
    """The task's container has no address the host can reach; the message says why."""


def container_address(engine: Engine, container_id: str) -> str:
    """The container's IPv4 address on a non-internal network (a remote backend's run:
    where its engine says); ``Unreachable`` if none."""
    remote = engine.address(container_id)
    if remote is not None:
        return remote
    api = engine.client().api
    try:
        info: dict[str, Any] = engine._call(api.inspect_container, container_id)
        holder = holders.holder_of(info)
        if holder is not None:
            info = engine._call(api.inspect_container, holder)
    except docker.errors.NotFound as exc:
        raise Unreachable("the task's container is gone; the preview works while it runs") from exc
    if not (info.get("State") or {}).get("Running"):
        raise Unreachable("the task's container is not running; the preview works while it runs")
    networks: dict[str, Any] = (info.get("NetworkSettings") or {}).get("Networks") or {}
    internal = False
    for name, endpoint in networks.items():
        address = (endpoint or {}).get("IPAddress")
        if not address:
            continue
        try:
            described = engine._call(api.inspect_network, endpoint.get("NetworkID") or name)
        except docker.errors.NotFound:
            continue
        if described.get("Internal"):
            internal = True
            continue
        return str(address)
    if internal:
        raise Unreachable(
            "the task's container is on the allowlist mode's internal network, which the "
            "host has no route to (so that a task cannot reach the host's services); set "
            "egress to open for tasks you want to preview"
        )
    raise Unreachable(
        "the task's container has no network (egress is none); set egress to open for "
        "tasks you want to preview"
    )
