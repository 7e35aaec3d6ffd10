"""The kubernetes backend end to end, on a ``kind`` cluster: the app in server mode on
the host, each run a Job whose pod fetches its files from the app over the kind
network's gateway and sends its result back.

This machine cannot run Kubernetes (no control plane can be had; the registry of
kind's node image is out of reach), so the test runs only where
``.github/workflows/kind.yml`` sets ``WALLFACER_KIND=1``, with the kind cluster in
the kubeconfig and the test image loaded into it (``kind load docker-image``).
Anywhere else it is skipped, under CI=true too: it needs a Kubernetes cluster,
not a Docker engine.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import docker
import pytest
from kubernetes import client, config
from kubernetes.utils import parse_quantity

from tests.engine import build_sandbox
from tests.gitrepo import file_on_branch
from tests.polling import until
from tests.remoteflow import answered_and_landed
from tests.server_process import ServerProcess

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("WALLFACER_KIND") != "1",
        reason="needs a kind cluster: only .github/workflows/kind.yml sets WALLFACER_KIND=1",
    ),
    pytest.mark.timeout(900),  # a cluster's pods start slower than a local container
]
TOKEN = "kube-test-api-token-0123456789"


def _gateway() -> str:
    """Where the kind nodes' pods reach the host: the kind network's IPv4 gateway."""
    network = docker.from_env().networks.get("kind")
    gateways = [c.get("Gateway", "") for c in network.attrs["IPAM"]["Config"]]
    return str(next(ip for ip in gateways if "." in ip))


@pytest.fixture(scope="module")
def kube() -> Iterator[str]:
    """A namespace of the module's own on the kubeconfig's cluster, removed after."""
    config.load_kube_config()
    core = client.CoreV1Api()
    namespace = f"wallfacer-e2e-{secrets.token_hex(3)}"
    core.create_namespace({"metadata": {"name": namespace}})
    try:
        yield namespace
    finally:
        core.delete_namespace(namespace)


def _jobs(namespace: str, task_id: str) -> list[Any]:
    selector = f"wallfacer.task={task_id}"
    return list(client.BatchV1Api().list_namespaced_job(namespace, label_selector=selector).items)


def _server(namespace: str, tmp_path: Path, repo: Path, *args: str) -> ServerProcess:
    server = ServerProcess(
        tmp_path / "data",
        [repo],
        image=build_sandbox(docker.from_env()),  # the workflow loaded this tag into kind
        env={"WALLFACER_TOKEN": TOKEN},
        host="0.0.0.0",
    )
    server.extra_args = (
        "--backend",
        "kubernetes",
        "--namespace",
        namespace,
        "--advertise-url",
        f"http://{_gateway()}:{server.port}",
        "--egress",
        "open",
        *args,
    )
    server.start()
    return server


@pytest.fixture
def kube_server(kube: str, tmp_path: Path, repo: Path) -> Iterator[ServerProcess]:
    server = _server(kube, tmp_path, repo)
    yield server
    server.stop()


def test_a_task_runs_as_a_job_and_its_shipped_result_lands_on_main(
    kube_server: ServerProcess, kube: str, repo: Path
) -> None:
    server = kube_server
    task = server.create("write hello.txt hello from kubernetes", title="Kubernetes")
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting", timeout=300)
    assert server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["hello.txt"]

    answered_and_landed(server, waiting, repo, "hello from kubernetes", timeout=300)


def test_a_run_is_a_hardened_job_with_its_limits_and_a_cancel_deletes_it(
    kube: str, tmp_path: Path, repo: Path
) -> None:
    server = _server(kube, tmp_path, repo, "--cpus", "0.5", "--memory", "256m")
    try:
        task = server.create("sleep 600")
        server.act(task["id"], "start")
        [job] = until("the run's Job", lambda: _jobs(kube, task["id"]), timeout=120)
        assert job.spec.backoff_limit == 0 and job.spec.ttl_seconds_after_finished
        pod = job.spec.template.spec
        assert pod.automount_service_account_token is False
        [container] = pod.containers
        hardening = container.security_context
        assert hardening.allow_privilege_escalation is False
        assert hardening.read_only_root_filesystem is True
        assert hardening.capabilities.drop == ["ALL"] and hardening.run_as_non_root is True
        limits = {k: parse_quantity(v) for k, v in container.resources.limits.items()}
        assert limits == {"cpu": Decimal("0.5"), "memory": 256 * 2**20}  # as the API writes them
        assert all(volume.host_path is None for volume in pod.volumes or [])
        assert TOKEN not in str(job), "the API token never reaches a run"

        server.act(task["id"], "cancel")
        until("the Job gone", lambda: not _jobs(kube, task["id"]), timeout=120)
    finally:
        server.stop()


def test_a_run_outlives_a_restart_and_its_result_still_lands(
    kube: str, tmp_path: Path, repo: Path
) -> None:
    server = _server(kube, tmp_path, repo)
    try:
        task = server.create("sleep 5\nwrite after.txt written across a restart")
        server.act(task["id"], "start")
        until("the run's Job", lambda: _jobs(kube, task["id"]), timeout=120)
        server.stop()  # the run goes on; its upload waits for the app
        server.start()
        server.wait_for(task["id"], "waiting", timeout=300)
        notes = [e["data"].get("message") for e in server.events(task["id"])]
        assert "reattached after a restart" in notes
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done", timeout=60)
        assert file_on_branch(repo, "main", "after.txt") == "written across a restart\n"
    finally:
        server.stop()


def test_behind_the_allowlist_proxy_a_run_lands_and_its_refusals_are_told(
    kube: str, tmp_path: Path, repo: Path
) -> None:
    """The proxy a Deployment behind a Service (the workflow loaded its image), the
    NetworkPolicy letting the run reach it, DNS and the app."""
    server = _server(kube, tmp_path, repo, "--egress", "allowlist")
    # busybox's wget crashes on proxies: nc speaks HTTP to the proxy, named by $http_proxy.
    ask = (
        "h=${http_proxy#http://}; h=${h%:*}; "
        "printf 'GET http://denied.test/ HTTP/1.0\\r\\nHost: denied.test\\r\\n\\r\\n' "
        '| nc -w 5 "$h" 8888 | head -1'
    )
    try:
        task = server.create(f"write proxied.txt behind the proxy\nrun {ask}")
        server.act(task["id"], "start")
        server.wait_for(task["id"], "waiting", timeout=300)
        log = str([e["data"] for e in server.events(task["id"]) if e["type"] == "output"])
        assert " 403 " in log, log

        def told() -> bool:
            notes = [str(e["data"].get("message", "")) for e in server.events(task["id"])]
            return any("egress proxy refused denied.test" in note for note in notes)

        until("the refusal told", told, timeout=30)
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done", timeout=60)
        assert file_on_branch(repo, "main", "proxied.txt") == "behind the proxy\n"
    finally:
        server.stop()
