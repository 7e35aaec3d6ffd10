"""The allowlist proxy on the kubernetes backend against a fake of the client: its
objects made once, replaced when the allowlist changes, never someone else's taken;
its refusals read from its pod's log and matched to a run's pod address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes.client as k8s
import pytest

from runner.errors import EgressFailed
from runner.kube import Apis, KubeEngine
from runner.kubeegress import KubeEgress

INSTANCE = "0123456789ab"
NAME = f"wallfacer-egress-{INSTANCE}"


class Objects:
    """Every object kind's read, create, replace and list, kept as (kind, name) -> body."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.log = ""

    def __getattr__(self, method: str) -> Any:
        verb, _, kind = method.partition("_namespaced_")

        def call(*args: Any, **options: Any) -> Any:
            self.calls.append((verb, kind))
            if verb == "read":
                found = self.held.get((kind, args[0]))
                if found is None:
                    raise k8s.exceptions.ApiException(status=404)
                return k8s.V1Pod(metadata=k8s.V1ObjectMeta(**found["metadata"]))
            if verb in ("create", "replace"):
                self.held[(kind, args[-1]["metadata"]["name"])] = args[-1]
                return None
            raise AssertionError(method)

        return call

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> Any:
        ready = k8s.V1PodStatus(conditions=[k8s.V1PodCondition(type="Ready", status="True")])
        pod = k8s.V1Pod(metadata=k8s.V1ObjectMeta(name="proxy-pod"), status=ready)
        return k8s.V1PodList(items=[pod])

    def read_namespaced_pod_log(self, name: str, namespace: str, **options: Any) -> str:
        assert options["timestamps"] is True and options["since_seconds"] >= 1
        return self.log


@pytest.fixture
def objects() -> Objects:
    return Objects()


def _egress(objects: Objects, tmp_path: Path) -> KubeEgress:
    engine = KubeEngine("http://127.0.0.1:8080", "tasks", tmp_path / "marks")
    engine._apis = Apis(objects, None, objects, objects, k8s.exceptions.ApiException)
    return KubeEgress(engine, INSTANCE)


def test_the_proxy_is_made_once_and_replaced_when_its_allowlist_changes(
    objects: Objects, tmp_path: Path
) -> None:
    egress = _egress(objects, tmp_path)
    proxy = egress.ensure("egress:1", ["pypi.org"])
    assert (proxy.network, proxy.url, proxy.container) == (
        NAME,
        f"http://{NAME}:8888",
        "proxy-pod",
    )
    assert proxy.env()["HTTPS_PROXY"] == proxy.url
    made = [call for call in objects.calls if call[0] == "create"]
    assert made == [("create", "deployment"), ("create", "service"), ("create", "network_policy")]
    objects.calls.clear()
    egress.ensure("egress:1", ["pypi.org"])
    assert ("replace", "deployment") not in objects.calls
    egress.ensure("egress:1", ["pypi.org", "crates.io"])
    assert ("replace", "deployment") in objects.calls
    assert ("replace", "service") not in objects.calls, "a Service keeps its cluster IP"


def test_a_proxy_of_someone_else_is_never_taken(objects: Objects, tmp_path: Path) -> None:
    objects.held[("deployment", NAME)] = {"metadata": {"name": NAME, "labels": {}}}
    with pytest.raises(EgressFailed, match="did not create"):
        _egress(objects, tmp_path).ensure("egress:1", ["pypi.org"])


def test_refusals_come_from_the_proxy_pods_log(objects: Objects, tmp_path: Path) -> None:
    objects.log = (
        "2026-01-02T03:04:05.100000000Z CONNECT x [1]: Connect (file descriptor 5): 10.1.0.7\n"
        "2026-01-02T03:04:05.200000000Z CONNECT x [1]: Request (file descriptor 5): "
        "CONNECT evil.test:443 HTTP/1.1\n"
        "2026-01-02T03:04:05.300000000Z NOTICE x [1]: "
        'Proxying refused on filtered domain "evil.test"\n'
    )
    found = _egress(objects, tmp_path).denied(1767323045.0)
    assert [(d.host, d.client_ip) for d in found] == [("evil.test", "10.1.0.7")]
