"""The Kubernetes objects of the kubernetes backend (``runner.kube``), as plain dicts.

Pure: what a run or an instance's egress proxy is made of, from its spec and
the cluster's settings, with no client at hand, so that unit tests read every
field the cluster will get. A run is a Job (``job``); the allowlist mode adds,
once per app instance, the proxy's Deployment and Service and the
NetworkPolicy that lets the task pods reach only it, DNS and the app
(``egress``). No object mounts a host path: a run's files are shipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from docker.utils import parse_bytes

from runner import remote, workspaces
from runner.containers import LABEL_INSTANCE, LABEL_TASK
from runner.errors import RunnerError
from runner.runspec import RunSpec

LABEL_EGRESS = "wallfacer.egress"  # proxy | client
LABEL_CONFIG = "wallfacer.egress.config"  # the proxy's image and allowlist, hashed
ANNOTATION_TASK = "wallfacer.task"  # the task id exactly; its label may be shortened
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set on every namespace since 1.21
MANAGED = {"app.kubernetes.io/managed-by": "wallfacer"}
PROXY_PORT = 8888
CONTAINER = "run"  # the Job's one container
TTL_S = 3600  # a finished Job (and its pod, its log) is kept this long, then collected
# A run's folders on its node's disk: /tmp as a local run's tmpfs; the others no
# larger than what a result may bring back (``shipping``), so an agent cannot fill
# the node (the kubelet evicts a pod past its limit).
SCRATCH_LIMITS = {"/tmp": "1Gi"}
FOLDER_LIMIT = f"{workspaces.MAX_TOTAL_BYTES // 2**20}Mi"
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?")


@dataclass(frozen=True)
class Cluster:
    """The settings every object of one app instance shares."""

    namespace: str
    instance: str
    app_addresses: tuple[str, ...] = ()  # the advertise URL's IPs: the runs' way home
    app_port: int = 443
    node_selector: dict[str, str] = field(default_factory=dict)

    @property
    def egress_name(self) -> str:
        """The proxy's Deployment, Service (so its host name) and NetworkPolicy."""
        return f"wallfacer-egress-{self.instance}"


def run_name(task_id: str, suffix: str) -> str:
    """A Job's name: a DNS-1123 label short enough for its pods' ``job-name`` label."""
    stem = re.sub(r"[^a-z0-9-]", "-", task_id.lower())[:40].strip("-") or "task"
    return f"wf-{stem}-{suffix}"


def label_value(text: str) -> str:
    """``text`` as a label value: itself when it is one, else a shortened, hashed form."""
    if _LABEL_VALUE.fullmatch(text) and len(text) <= 63:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:50].strip("-_.")
    return f"{stem}-{digest}" if stem else digest


def namespace(name: str) -> str:
    """``--namespace`` as a cluster takes one (a DNS-1123 label), else RunnerError:
    said at start, not as a refusal of every run's Job."""
    if not _NAMESPACE.fullmatch(name):
        raise RunnerError(
            f"--namespace {name!r} is not a namespace's name: lower-case letters, digits "
            "and '-', starting and ending with a letter or digit, at most 63"
        )
    return name


def node_selector(constraints: tuple[str, ...]) -> dict[str, str]:
    """Placement from ``--constraint``: ``node.labels.KEY==VALUE`` or ``KEY==VALUE`` (a
    node label) and ``node.hostname==NAME``; nothing else maps to a nodeSelector."""
    selector = {}
    for constraint in constraints:
        key, sep, value = constraint.partition("==")
        key, value = key.strip().removeprefix("node.labels."), value.strip()
        if key == "node.hostname":
            key = "kubernetes.io/hostname"
        # Swarm's other node.* attributes (a role, an id) are no node labels here.
        if not sep or "!" in key or key.startswith("node.") or not key or not value:
            raise RunnerError(
                f"the constraint {constraint!r} has no nodeSelector form: use "
                "node.labels.KEY==VALUE or node.hostname==NAME on the kubernetes backend"
            )
        selector[key] = value
    return selector


def _owner(user: str) -> tuple[int, int]:
    uid_s, _, gid_s = user.partition(":")
    uid = int(uid_s)
    if uid == 0:
        raise RunnerError("a run never runs as root")
    return uid, int(gid_s) if gid_s else uid


def _pod_security(uid: int, gid: int) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": gid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container_security(uid: int, gid: int) -> dict[str, Any]:
    """The sandbox's hardening: no privileges to gain (so ``NoNewPrivs: 1``, which the
    ship wrapper checks), none held, a read-only root."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _resources(spec: RunSpec) -> dict[str, Any]:
    """CPU and memory as both request and limit, as the local limits are hard; the
    pids limit is the kubelet's (``--pod-max-pids``), not a pod's to set."""
    limits = {}
    if spec.cpus:
        limits["cpu"] = f"{round(spec.cpus * 1000)}m"
    if spec.memory:
        limits["memory"] = str(parse_bytes(spec.memory))
    return {"limits": dict(limits), "requests": dict(limits)} if limits else {}


def _meta(cluster: Cluster, name: str, labels: dict[str, str], **more: Any) -> dict[str, Any]:
    return {"name": name, "namespace": cluster.namespace, "labels": labels, **more}


def secret(cluster: Cluster, name: str, env: dict[str, str]) -> dict[str, Any]:
    """A run's environment (its agent's credentials, its run token), named as its Job:
    in a Secret its pod reads, never in the Job, which whoever may view Jobs reads."""
    labels = {**MANAGED, LABEL_INSTANCE: cluster.instance}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(cluster, name, labels),
        "type": "Opaque",
        "stringData": dict(env),
    }


def owned_by(job_name: str, job_uid: str) -> dict[str, Any]:
    """The patch that has a run's Secret collected with its Job (the Job's uid is
    known only once the Job is made, after the Secret its pod needs)."""
    owner = {"apiVersion": "batch/v1", "kind": "Job", "name": job_name, "uid": job_uid}
    return {"metadata": {"ownerReferences": [owner]}}


def job(
    spec: RunSpec,
    cluster: Cluster,
    name: str,
    image: str,
    args: list[str],
) -> dict[str, Any]:
    """A run's Job: one pod, never retried, collected ``TTL_S`` after it ends. Its
    environment is the Secret of its name (``secret``); its folders to write are
    emptyDirs; a run behind the proxy carries the label its NetworkPolicy selects
    (``spec.network`` is then the proxy's name)."""
    uid, gid = _owner(spec.user)
    labels = {
        **MANAGED,
        LABEL_TASK: label_value(spec.task_id),
        LABEL_INSTANCE: cluster.instance,
        **({LABEL_EGRESS: "client"} if spec.network == cluster.egress_name else {}),
    }
    annotations = {ANNOTATION_TASK: spec.task_id}
    volumes = [
        {
            "name": f"scratch-{number}",
            "emptyDir": {"sizeLimit": SCRATCH_LIMITS.get(path, FOLDER_LIMIT)},
        }
        for number, path in enumerate(remote.SCRATCH)
    ]
    container = {
        "name": CONTAINER,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": list(remote.WRAPPER),
        "args": args,
        "envFrom": [{"secretRef": {"name": name}}],
        "workingDir": "/",
        "resources": _resources(spec),
        "securityContext": _container_security(uid, gid),
        "volumeMounts": [
            {"name": volume["name"], "mountPath": path}
            for volume, path in zip(volumes, remote.SCRATCH, strict=True)
        ],
    }
    pod = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,  # no other service's address in the agent's env
        "securityContext": _pod_security(uid, gid),
        "nodeSelector": dict(cluster.node_selector),
        "containers": [container],
        "volumes": volumes,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(cluster, name, labels, annotations=annotations),
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": TTL_S,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def egress(cluster: Cluster, image: str, filter_text: str, config: str) -> list[dict[str, Any]]:
    """The allowlist mode's objects: the proxy (a Deployment of one, so a lost pod comes
    back), its Service, and the NetworkPolicy that lets the instance's task pods reach
    only the proxy, the cluster's DNS and the app (the runs' files)."""
    name = cluster.egress_name
    base = {**MANAGED, LABEL_INSTANCE: cluster.instance}
    proxy = {**base, LABEL_EGRESS: "proxy"}
    uid = gid = 65534  # the image's nobody
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(cluster, name, {**proxy, LABEL_CONFIG: config}),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": proxy},
            "template": {
                "metadata": {"labels": {**proxy, LABEL_CONFIG: config}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": _pod_security(uid, gid),
                    "nodeSelector": dict(cluster.node_selector),
                    "containers": [
                        {
                            "name": "proxy",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "env": [{"name": "EGRESS_FILTER", "value": filter_text}],
                            "ports": [{"containerPort": PROXY_PORT, "protocol": "TCP"}],
                            "readinessProbe": {
                                "tcpSocket": {"port": PROXY_PORT},
                                "periodSeconds": 1,
                            },
                            "securityContext": _container_security(uid, gid),
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Mi"}}],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(cluster, name, base),
        "spec": {
            "selector": proxy,
            "ports": [{"port": PROXY_PORT, "targetPort": PROXY_PORT, "protocol": "TCP"}],
        },
    }
    dns = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    rules: list[dict[str, Any]] = [
        {
            "to": [{"podSelector": {"matchLabels": proxy}}],
            "ports": [{"port": PROXY_PORT, "protocol": "TCP"}],
        },
        {
            "to": [
                {
                    # kube-system's only: a pod of any namespace may carry the label.
                    "namespaceSelector": {"matchLabels": {NAMESPACE_NAME: "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": dns,
        },
    ]
    if cluster.app_addresses:
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": _cidr(ip)}} for ip in cluster.app_addresses],
                "ports": [{"port": cluster.app_port, "protocol": "TCP"}],
            }
        )
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(cluster, name, base),
        "spec": {
            "podSelector": {"matchLabels": {**base, LABEL_EGRESS: "client"}},
            "policyTypes": ["Egress"],
            "egress": rules,
        },
    }
    return [deployment, service, policy]


def _cidr(ip: str) -> str:
    return f"{ip}/128" if ":" in ip else f"{ip}/32"
