"""Network namespaces held ahead of a start, by a container that only sleeps.

Most of a container start is its network: the engine makes a namespace, a
veth pair and firewall rules (here about 450 of 750 ms on a bridge network).
A container made ahead (``server.ahead``) joins the namespace of a holder
started with it, so its own start skips all of that. The holder runs the
task's image with ``sleep`` as its entrypoint, as hardened as the task and
with nothing mounted; an image without ``sleep`` gets no holder, and its
container its own network, as a cold start does. A holder goes with the
container that joined it (``Engine.remove``); ``orphans`` finds those whose
container a crash or an outside hand removed first.
"""

from __future__ import annotations

from typing import Any

import docker.errors

LABEL_HOLDER = "wallfacer.holder"  # on a holder: the namespace's, not a run
LABEL_NETNS = "wallfacer.netns"  # on a container that joined one: the holder's id
_MODE = "container:"
_FOREVER = str(2**31 - 1)  # seconds; busybox's sleep has no "infinity"


def hold(
    api: Any, image: str, user: str, host_config: dict[str, Any], labels: dict[str, str]
) -> str | None:
    """Start a holder on the network ``host_config`` names; None if the engine will not
    make one (no ``sleep`` in the image, say), and then nothing of it is left: the
    container is made as a cold start makes it, and says what is wrong if anything."""
    try:
        created = api.create_container(
            image,
            entrypoint=["sleep"],
            command=[_FOREVER],
            user=user,
            labels={**labels, LABEL_HOLDER: "1"},
            host_config=host_config,
        )
    except docker.errors.APIError:
        return None
    holder = str(created["Id"])
    try:
        api.start(holder)
    except docker.errors.APIError:
        # A busy engine can answer a start it carried out with an error ("cannot
        # start an already running container"): its state says which it was.
        if not _running(api, holder):
            api.remove_container(holder, force=True)
            return None
    return holder


def revive(api: Any, container_id: str) -> bool:
    """Start again the holder a container joined, if it has stopped (True): a holder
    that died before its container's start would fail that start. The container,
    not started yet, joins the namespace the holder's new start makes."""
    try:
        holder = holder_of(api.inspect_container(container_id))
        if holder is None or _running(api, holder):
            return False
        api.start(holder)
    except docker.errors.APIError:
        return False
    return True


def _running(api: Any, container_id: str) -> bool:
    try:
        return bool(api.inspect_container(container_id)["State"]["Running"])
    except docker.errors.APIError:
        return False


def joining(holder: str) -> str:
    """The network mode of a container that joins the holder's namespace."""
    return _MODE + holder


def holder_of(info: dict[str, Any]) -> str | None:
    """The holder a container (as the engine describes it) joined, if any."""
    mode = str((info.get("HostConfig") or {}).get("NetworkMode") or "")
    labels = (info.get("Config") or {}).get("Labels") or {}
    return mode[len(_MODE) :] if mode.startswith(_MODE) and LABEL_NETNS in labels else None


def orphans(api: Any, instance_label: str) -> list[str]:
    """This instance's holders that no container joins any more."""
    holders = api.containers(all=True, filters={"label": [instance_label, LABEL_HOLDER]})
    joined = api.containers(all=True, filters={"label": [instance_label, LABEL_NETNS]})
    used = {(c.get("Labels") or {}).get(LABEL_NETNS) for c in joined}
    return [c["Id"] for c in holders if c["Id"] not in used]
