"""The "allowlist" network mode on a Docker Swarm: the egress proxy as a service.

A run's service cannot join a container's bridge network on the manager, so
here both networks are overlays and the proxy (the same image and allowlist
as ``runner.egress``) is a one-replica service on a manager node, which has
the image the app checked. Runs join the internal overlay only: it has no
route out, and its one way anywhere is the proxy under ``egress.ALIAS``. The
proxy also sits on an outside overlay, out through its node's gateway bridge.

A run reaches the app through the proxy too: the wrapper's own transfers go
to the proxy's path to the app (``egress.REVERSE_URL``, a reverse-only
tinyproxy of ``/api/ship/`` and nothing else; busybox's ``wget`` turns a POST
through a proxy into a GET). The advertise URL's host is never on the
forward allowlist, which would open every port of it to the agent. That path
speaks plain HTTP to the app, so the advertise URL must be ``http://`` here.
The proxy's endpoint is DNS round robin: a service's virtual IP needs IPVS,
which a node may lack, and one replica needs no balancing. Refusals are read
from the service's log, and a run's client address from its task.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import docker.errors
from docker.types import EndpointSpec, ServiceMode

from runner.containers import LABEL_INSTANCE
from runner.egress import (
    ALIAS,
    LABEL_CONFIG,
    LABEL_ROLE,
    LOOKBACK,
    START_TIMEOUT,
    URL,
    Denied,
    Egress,
    Proxy,
    config_hash,
    filter_text,
    parse_denied,
    patterns,
)
from runner.errors import EgressFailed, ImageMissing
from runner.swarm import ENDED, SwarmEngine, scratch

PROXY_USER = "65534:65534"  # the egress image's user, who writes its filter to /tmp
LOG_OPTIONS = {"max-size": "10m", "max-file": "2"}


class SwarmEgress(Egress):
    """One app instance's overlays and proxy service on the swarm of ``engine``."""

    engine: SwarmEngine

    def ensure(self, image: str, allow: Iterable[str]) -> Proxy:
        """The proxy service for this allowlist, with its reverse path to the app, made
        again if the list or the image changed; runs find the new one under the same
        alias."""
        if not self.engine.advertise_url.startswith("http://"):
            raise EgressFailed(
                "the allowlist on a swarm needs an http:// --advertise-url: its proxy passes "
                "the runs' files on to the app and speaks no TLS; or set the egress mode to "
                "open, with a network (--network) the nodes' tasks can use"
            )
        names = patterns(allow)  # never the app's host: its ports are not the agent's
        try:
            image_id = str(self.engine._image(image)["Id"])
        except ImageMissing as exc:
            raise ImageMissing(f"egress proxy image {image!r} is not on this machine") from exc
        config = config_hash(image_id, [*names, self.engine.advertise_url])
        with self._lock:
            found = self._service()
            if found is not None:
                if _service_labels(found).get(LABEL_CONFIG) == config:
                    self._wait_listening(self.network)
                    return Proxy(self.network, URL, self.network)
                self._call("remove_service", found["ID"])
                self._gone(found["ID"])
            self._ensure_network(self.network, internal=True)
            self._ensure_network(self.outside, internal=False)
            self._create_service(image_id, names, config)
            self._wait_listening(self.network)
            return Proxy(self.network, URL, self.network)

    def denied(self, since: float) -> list[Denied]:
        if self._service() is None:
            return []
        start = int(since - LOOKBACK) if since > LOOKBACK else 0
        raw = self._call(
            "service_logs", self.network, stdout=True, timestamps=True, since=start, is_tty=False
        )
        lines = b"".join(raw).decode("utf-8", errors="replace").splitlines()
        return [d for d in parse_denied(lines) if d.at >= since]

    def container_ip(self, container_id: str, network: str | None = None) -> str | None:
        """A run's address on the internal overlay, from its service's task: given to
        it as the task is scheduled, so waited for a while after the service is made."""
        wanted = network or self.network
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                tasks = self._call("tasks", filters={"service": container_id})
            except docker.errors.NotFound:
                return None
            for task in tasks:
                for attached in task.get("NetworksAttachments") or []:
                    if attached["Network"]["Spec"]["Name"] == wanted and attached.get("Addresses"):
                        return str(attached["Addresses"][0]).partition("/")[0]
            if any(task["Status"]["State"] in ENDED for task in tasks) or not (
                tasks or self.engine.exists(container_id)
            ):
                return None
            time.sleep(0.2)
        return None

    def remove(self) -> None:
        """The proxy service, then the overlays once its task has left them."""
        mine = {"label": [f"{LABEL_INSTANCE}={self.instance}", LABEL_ROLE]}
        with self._lock:
            for service in self._call("services", filters=mine):
                self._call("remove_service", service["ID"])
            deadline = time.monotonic() + START_TIMEOUT
            for net in self._call("networks", filters=mine):
                while True:
                    try:
                        self._call("remove_network", net["Id"])
                        break
                    except docker.errors.NotFound:
                        break
                    except docker.errors.APIError as exc:
                        if time.monotonic() > deadline:
                            name = net["Name"]
                            raise EgressFailed(
                                f"cannot remove network {name} ({exc.explanation or exc})"
                            ) from exc
                        time.sleep(0.5)

    def _service(self) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = self._call("inspect_service", self.network)
        except docker.errors.NotFound:
            return None
        self._mine("service", self.network, _service_labels(info))
        return info

    def _network_kind(self, internal: bool) -> dict[str, Any]:
        """Overlays the runs' services can join, on whichever node they land."""
        return {"driver": "overlay", "attachable": True}

    def _create_service(self, image_id: str, names: list[str], config: str) -> None:
        task_template = {
            "ContainerSpec": {
                "Image": image_id,
                "Env": [
                    f"EGRESS_FILTER={filter_text(names)}",
                    f"EGRESS_REVERSE={self.engine.advertise_url}",
                ],
                "User": PROXY_USER,
                "ReadOnly": True,
                "CapabilityDrop": ["ALL"],
                "Mounts": [scratch("/tmp", PROXY_USER)],
            },
            "RestartPolicy": {"Condition": "any"},  # tasks outlive the app
            "Placement": {"Constraints": ["node.role==manager"]},
            "Networks": [{"Target": self.network, "Aliases": [ALIAS]}, {"Target": self.outside}],
            "LogDriver": {"Name": "json-file", "Options": LOG_OPTIONS},
        }
        try:
            self._call(
                "create_service",
                task_template,
                name=self.network,
                labels=self._labels("proxy", **{LABEL_CONFIG: config}),
                mode=ServiceMode("replicated", replicas=1),
                endpoint_spec=EndpointSpec(mode="dnsrr"),
            )
        except docker.errors.APIError as exc:
            raise EgressFailed(f"cannot create the egress proxy: {exc.explanation or exc}") from exc

    def _gone(self, service_id: str) -> None:
        """Wait for a removed proxy's container to stop: until then it still answers
        under the alias (DNS round robin), with the list it was made with."""
        label = {"label": f"com.docker.swarm.service.id={service_id}"}
        deadline = time.monotonic() + START_TIMEOUT
        while self._call("containers", filters=label) and time.monotonic() < deadline:
            time.sleep(0.2)

    def _wait_listening(self, container_id: str) -> None:
        """tinyproxy prints its first log line once it listens: wait for a running
        task of the service, and that line."""
        deadline = time.monotonic() + START_TIMEOUT * 2  # a service is scheduled first
        while True:
            tasks = self._call("tasks", filters={"service": container_id})
            running = [t for t in tasks if t["Status"]["State"] == "running"]
            if running:
                log = self._call("service_logs", container_id, stdout=True, tail=1, is_tty=False)
                if b"".join(log).strip():
                    return
            if time.monotonic() > deadline:
                why = "; ".join(t["Status"].get("Err", "") or t["Status"]["State"] for t in tasks)
                raise EgressFailed(f"the egress proxy service did not start: {why or 'no task'}")
            time.sleep(0.2)


def _service_labels(info: dict[str, Any]) -> dict[str, str]:
    return dict(info.get("Spec", {}).get("Labels") or {})
