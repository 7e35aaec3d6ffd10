"""The kubernetes backend's objects, field by field, as the cluster would get them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from runner import kubemanifests, remote
from runner.egress import config_hash, filter_text, patterns
from runner.errors import RunnerError
from runner.runspec import RunSpec

TASK = "abcd1234-0000-4000-8000-000000000000"
API_TOKEN = "the-api-token-that-must-never-reach-a-run"
RUN_TOKEN = "run-scoped-token"
DNS_1123 = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
CLUSTER = kubemanifests.Cluster("tasks", "0123456789ab", ("10.0.0.5",), 8080, {"pool": "agents"})
HARDENED = {
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "runAsGroup": 1001,
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _spec(**changes: Any) -> RunSpec:
    fields: dict[str, Any] = {
        "task_id": TASK,
        "instance": CLUSTER.instance,
        "image": "agent:1",
        "args": ["-p", "go"],
        "workspace": Path("/data/ws/project"),
        "repo_name": "project",
        "objects": Path("/repos/project/.git/objects"),
        "home": Path("/data/homes/t"),
        "user": "1000:1001",
        "env": {"ANTHROPIC_API_KEY": "sk-agent"},
        "cpus": 1.5,
        "memory": "256m",
        "network": None,
    }
    return RunSpec(**(fields | changes))


def _made(spec: RunSpec | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run's Job and its Secret."""
    spec = spec or _spec()
    image = {"Config": {"Entrypoint": ["/bin/agent"]}}
    args, env = remote.launch(image, spec, "http://10.0.0.5:8080/api/ship/wf-x", RUN_TOKEN)
    name = kubemanifests.run_name(spec.task_id, "0a1b2c3d")
    made = kubemanifests.job(spec, CLUSTER, name, "agent:1", args)
    return made, kubemanifests.secret(CLUSTER, name, env)


def _job(spec: RunSpec | None = None) -> dict[str, Any]:
    return _made(spec)[0]


def _egress() -> list[dict[str, Any]]:
    names = patterns(["pypi.org", "*.example.com"])
    image = "wallfacer-egress:1"
    return kubemanifests.egress(CLUSTER, image, filter_text(names), config_hash(image, names))


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_every_field_is_one_the_clients_models_know() -> None:
    """Read into the client's models and written back, nothing is lost: a misspelt
    or misplaced field would be dropped on the way."""
    models = {
        "Job": "V1Job",
        "Deployment": "V1Deployment",
        "Service": "V1Service",
        "NetworkPolicy": "V1NetworkPolicy",
        "Secret": "V1Secret",
    }
    api = ApiClient()
    made = [*_made(), _job(_spec(network=CLUSTER.egress_name)), *_egress()]
    for manifest in made:
        model = api._ApiClient__deserialize(
            json.loads(json.dumps(manifest)), models[manifest["kind"]]
        )
        assert api.sanitize_for_serialization(model) == manifest


def test_a_run_is_a_job_never_retried_and_collected_after_it_ends() -> None:
    job = _job()
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["ttlSecondsAfterFinished"] == kubemanifests.TTL_S
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["metadata"]["namespace"] == "tasks"


def test_a_run_has_the_sandbox_hardening() -> None:
    pod = _job()["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1001,
        "fsGroup": 1001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    [container] = pod["containers"]
    assert container["securityContext"] == HARDENED
    with pytest.raises(RunnerError, match="root"):
        _job(_spec(user="0:0"))


def test_a_run_has_its_limits_as_requests_too() -> None:
    [container] = _job()["spec"]["template"]["spec"]["containers"]
    wanted = {"cpu": "1500m", "memory": str(256 * 2**20)}
    assert container["resources"] == {"limits": wanted, "requests": wanted}
    [bare] = _job(_spec(cpus=None, memory=None))["spec"]["template"]["spec"]["containers"]
    assert bare["resources"] == {}


def test_a_run_writes_only_to_empty_dirs_and_mounts_no_host_path() -> None:
    job = _job()
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert sorted(mounted) == sorted(remote.SCRATCH)
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert all(set(volumes[name]) == {"name", "emptyDir"} for name in mounted.values())
    assert volumes[mounted["/tmp"]]["emptyDir"] == {"sizeLimit": "1Gi"}
    for path in ("/workspace", "/home/agent"):  # no larger than a result may be
        assert volumes[mounted[path]]["emptyDir"] == {"sizeLimit": "2048Mi"}
    for manifest in [job, *_egress()]:
        assert "hostPath" not in _keys(manifest)
        assert "hostNetwork" not in _keys(manifest) and "hostPID" not in _keys(manifest)


def test_a_run_carries_the_task_labels_and_its_shipping_plan() -> None:
    job = _job()
    labels = job["metadata"]["labels"]
    assert labels == {
        "app.kubernetes.io/managed-by": "wallfacer",
        "wallfacer.task": TASK,
        "wallfacer.instance": CLUSTER.instance,
    }
    assert job["spec"]["template"]["metadata"]["labels"] == labels
    # The task's id only: a run's plan (host folders) stays on the app's host, never
    # read back from the cluster, where anyone who may make a Job could name one.
    assert job["metadata"]["annotations"] == {kubemanifests.ANNOTATION_TASK: TASK}
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == list(remote.WRAPPER)
    assert container["args"] == ["/bin/agent", "-p", "go"]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert job["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "agents"}


def test_the_run_token_and_the_agents_credentials_are_in_its_secret_only() -> None:
    """Whoever may view Jobs reads a Job's env: a run's is in a Secret of its name."""
    job, secret = _made(_spec(env={"ANTHROPIC_API_KEY": "sk-agent"}))
    text = json.dumps(job)
    assert API_TOKEN not in text and RUN_TOKEN not in text and "sk-agent" not in text
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert "env" not in container
    assert container["envFrom"] == [{"secretRef": {"name": job["metadata"]["name"]}}]
    assert secret["metadata"]["name"] == job["metadata"]["name"]
    assert secret["type"] == "Opaque"
    env = secret["stringData"]
    assert env["WALLFACER_SHIP_TOKEN"] == RUN_TOKEN and env["ANTHROPIC_API_KEY"] == "sk-agent"
    assert env["WALLFACER_SHIP_URL"].endswith("/api/ship/wf-x")
    assert API_TOKEN not in json.dumps(secret)
    owner = kubemanifests.owned_by(job["metadata"]["name"], "uid-1")
    assert owner["metadata"]["ownerReferences"] == [
        {"apiVersion": "batch/v1", "kind": "Job", "name": job["metadata"]["name"], "uid": "uid-1"}
    ]


def test_names_and_label_values_are_valid() -> None:
    name = _job()["metadata"]["name"]
    assert DNS_1123.fullmatch(name) and len(name) <= 57  # its pods' job-name label fits
    odd = kubemanifests.run_name("--Weird_ID." + "x" * 80, "0a1b2c3d")
    assert DNS_1123.fullmatch(odd) and len(odd) <= 57
    for manifest in _egress():
        assert DNS_1123.fullmatch(manifest["metadata"]["name"])
    side = f"{TASK}.a-long-side-session-name-that-overflows"
    value = kubemanifests.label_value(side)
    assert len(value) <= 63 and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]", value)
    assert value != kubemanifests.label_value(side + "2"), "a shortened value keeps a hash"
    assert kubemanifests.label_value(TASK) == TASK


def test_constraints_map_to_a_node_selector_or_are_refused() -> None:
    assert kubemanifests.node_selector(
        ("node.labels.pool==agents", "node.hostname==n1", "disk==ssd")
    ) == {"pool": "agents", "kubernetes.io/hostname": "n1", "disk": "ssd"}
    for refused in ("node.role!=manager", "node.role==manager", "node.role", "==x"):
        with pytest.raises(RunnerError, match="nodeSelector"):
            kubemanifests.node_selector((refused,))


def test_a_run_behind_the_proxy_is_labelled_for_its_network_policy() -> None:
    job = _job(_spec(network=CLUSTER.egress_name))
    assert job["spec"]["template"]["metadata"]["labels"]["wallfacer.egress"] == "client"
    assert "wallfacer.egress" not in _job()["spec"]["template"]["metadata"]["labels"]


def test_the_allowlist_proxy_is_a_hardened_deployment_behind_a_service() -> None:
    deployment, service, _ = _egress()
    assert [deployment["kind"], service["kind"]] == ["Deployment", "Service"]
    proxy = {
        "app.kubernetes.io/managed-by": "wallfacer",
        "wallfacer.instance": CLUSTER.instance,
        "wallfacer.egress": "proxy",
    }
    assert deployment["spec"]["selector"] == {"matchLabels": proxy}
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"].items() >= proxy.items()
    assert pod["spec"]["automountServiceAccountToken"] is False
    [container] = pod["spec"]["containers"]
    assert container["securityContext"] == {**HARDENED, "runAsUser": 65534, "runAsGroup": 65534}
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["EGRESS_FILTER"] == "^.+\\.example\\.com$\n^pypi\\.org$"
    assert service["metadata"]["name"] == CLUSTER.egress_name
    assert service["spec"]["selector"] == proxy
    assert service["spec"]["ports"] == [{"port": 8888, "targetPort": 8888, "protocol": "TCP"}]


def test_the_network_policy_lets_task_pods_reach_only_the_proxy_dns_and_the_app() -> None:
    *_, policy = _egress()
    assert (policy["apiVersion"], policy["kind"]) == ("networking.k8s.io/v1", "NetworkPolicy")
    spec = policy["spec"]
    assert spec["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/managed-by": "wallfacer",
            "wallfacer.instance": CLUSTER.instance,
            "wallfacer.egress": "client",
        }
    }
    assert spec["policyTypes"] == ["Egress"]
    to_proxy, to_dns, to_app = spec["egress"]
    assert to_proxy["to"] == [{"podSelector": {"matchLabels": _egress()[1]["spec"]["selector"]}}]
    assert to_proxy["ports"] == [{"port": 8888, "protocol": "TCP"}]
    assert to_dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert to_dns["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    assert to_app == {
        "to": [{"ipBlock": {"cidr": "10.0.0.5/32"}}],
        "ports": [{"port": 8080, "protocol": "TCP"}],
    }
