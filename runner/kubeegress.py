"""The allowlist mode on the kubernetes backend: the egress proxy as a pod.

The same proxy image and filter as ``runner.egress``, run by a Deployment
behind a Service named as the local proxy's network is, so a run's
``network`` names it and its ``*_PROXY`` variables reach it by that name. A
NetworkPolicy lets the instance's task pods reach only the proxy, the
cluster's DNS and the app (``kubemanifests.egress``); a cluster whose network
plugin ignores NetworkPolicies does not enforce it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from runner import kubemanifests
from runner.containers import LABEL_INSTANCE
from runner.egress import (
    LOOKBACK,
    PORT,
    START_TIMEOUT,
    Denied,
    Egress,
    Proxy,
    config_hash,
    filter_text,
    parse_denied,
    patterns,
)
from runner.errors import EgressFailed
from runner.kube import POLL_S, KubeEngine

_READY_S = START_TIMEOUT * 4  # a node may pull the image first


class KubeEgress(Egress):
    def __init__(self, engine: KubeEngine, instance: str) -> None:
        super().__init__(engine, instance)  # its network's name is the Service's
        self.kube = engine

    def ensure(self, image: str, allow: Iterable[str]) -> Proxy:
        """The proxy for this allowlist, its objects replaced when the list or image
        changed; returns once a pod of it is ready (it listens)."""
        names = patterns(allow)
        config = config_hash(image, names)
        cluster = self.kube.cluster(self.instance)
        with self._lock:
            for manifest in kubemanifests.egress(cluster, image, filter_text(names), config):
                self._apply(manifest)
            pod = self._ready(config)
        return Proxy(self.network, f"http://{self.network}:{PORT}", pod)

    def _apply(self, manifest: dict[str, Any]) -> None:
        """Create the object, or replace it where it differs (a Service's cluster IP is
        the cluster's to keep, so a Service that exists is left as it is)."""
        apis, ns, name = self.kube.apis(), self.kube.namespace, manifest["metadata"]["name"]
        calls = {
            "Deployment": (apis.apps, "namespaced_deployment"),
            "Service": (apis.core, "namespaced_service"),
            "NetworkPolicy": (apis.net, "namespaced_network_policy"),
        }
        api, kind = calls[manifest["kind"]]
        try:
            found = self.kube.kube(getattr(api, f"read_{kind}"), name, ns)
        except Exception as exc:
            if not self.kube.missing(exc):
                raise
            self.kube.kube(getattr(api, f"create_{kind}"), ns, manifest)
            return
        labels = found.metadata.labels or {}
        if labels.get(LABEL_INSTANCE) != self.instance:
            raise EgressFailed(
                f"a {manifest['kind']} named {name} exists that this app instance did not "
                "create; remove or rename it"
            )
        if manifest["kind"] == "Service":
            return
        # A policy's rules follow the app's address; a proxy, its image and allowlist.
        if manifest["kind"] == "NetworkPolicy" or labels != manifest["metadata"]["labels"]:
            self.kube.kube(getattr(api, f"replace_{kind}"), name, ns, manifest)

    def _ready(self, config: str) -> str:
        selector = f"{kubemanifests.LABEL_CONFIG}={config},{LABEL_INSTANCE}={self.instance}"
        deadline = time.monotonic() + _READY_S
        while time.monotonic() < deadline:
            pods = self._pods(selector)
            for pod in pods:
                conditions = pod.status.conditions or []
                if any(c.type == "Ready" and c.status == "True" for c in conditions):
                    return str(pod.metadata.name)
            time.sleep(POLL_S)
        raise EgressFailed(f"the egress proxy's pod was not ready within {_READY_S:.0f} s")

    def _pods(self, selector: str) -> list[Any]:
        apis = self.kube.apis()
        found = self.kube.kube(
            apis.core.list_namespaced_pod, self.kube.namespace, label_selector=selector
        )
        return list(found.items)

    def denied(self, since: float) -> list[Denied]:
        """Requests the proxy's pods refused at or after ``since`` (epoch seconds)."""
        selector = f"{kubemanifests.LABEL_EGRESS}=proxy,{LABEL_INSTANCE}={self.instance}"
        seconds = max(1, int(time.time() - since + LOOKBACK))
        lines: list[str] = []
        for pod in self._pods(selector):
            try:
                text = self.kube.kube(
                    self.kube.apis().core.read_namespaced_pod_log,
                    pod.metadata.name,
                    self.kube.namespace,
                    timestamps=True,
                    since_seconds=seconds,
                )
            except Exception as exc:
                if self.kube.missing(exc):
                    continue
                raise
            lines += str(text).splitlines()
        return [d for d in parse_denied(lines) if d.at >= since]

    def container_ip(self, container_id: str, network: str | None = None) -> str | None:
        """The run's pod address, as the proxy sees its client: once it has one."""
        found = self.kube.until(container_id, lambda state: bool(state.ip) or state.ended)
        return found.ip or None

    def remove(self) -> None:
        """This instance's proxy, Service and NetworkPolicy, and nothing else."""
        apis, ns = self.kube.apis(), self.kube.namespace
        for api, kind in (
            (apis.apps, "namespaced_deployment"),
            (apis.core, "namespaced_service"),
            (apis.net, "namespaced_network_policy"),
        ):
            try:
                self.kube.kube(getattr(api, f"delete_{kind}"), self.network, ns)
            except Exception as exc:
                if not self.kube.missing(exc):
                    raise
