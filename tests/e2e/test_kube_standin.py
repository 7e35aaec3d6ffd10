"""The app's whole task flow on the kubernetes backend, here, where no cluster can run:
the real app and client against a stand-in API server (``tests.kubestandin``) whose
kubelet runs each Job's pod as a Docker container. It checks the app's side (the
Job it sends, the shipped files through the wrapper, the log followed, the exit and
its termination message, cancel, re-adoption); ``test_kube.py`` on kind checks the
cluster's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.gitrepo import file_on_branch
from tests.kubestandin import NAMESPACE, InDocker, StandIn
from tests.polling import until
from tests.remoteflow import answered_and_landed
from tests.server_process import ServerProcess

TOKEN = "standin-test-api-token-0123456789"


@pytest.fixture
def standin(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[StandIn]:
    (tmp_path / "pods").mkdir()
    made = StandIn(InDocker(docker_client, tmp_path / "pods"))
    yield made
    made.stop()


def _server(standin: StandIn, tmp_path: Path, repo: Path, image: str) -> ServerProcess:
    kubeconfig = standin.kubeconfig(tmp_path / "kubeconfig")
    server = ServerProcess(
        tmp_path / "data",
        [repo],
        image=image,
        env={"WALLFACER_TOKEN": TOKEN, "KUBECONFIG": str(kubeconfig)},
    )
    server.extra_args = (
        "--backend",
        "kubernetes",
        "--namespace",
        NAMESPACE,
        "--advertise-url",
        f"http://127.0.0.1:{server.port}",
        "--egress",
        "open",
    )
    server.start()
    return server


@pytest.fixture
def kube_server(
    standin: StandIn, tmp_path: Path, repo: Path, sandbox_image: str
) -> Iterator[ServerProcess]:
    server = _server(standin, tmp_path, repo, sandbox_image)
    yield server
    server.stop()


def test_a_task_runs_as_a_job_and_its_shipped_result_lands_on_main(
    kube_server: ServerProcess, standin: StandIn, repo: Path
) -> None:
    server = kube_server
    task = server.create("write hello.txt hello from a pod\nrun cat .git/HEAD", title="Kube")
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting", timeout=120)
    assert server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["hello.txt"]
    log = str([e["data"] for e in server.events(task["id"]) if e["type"] == "output"])
    assert "ref: refs/heads/task/" in log, "the workspace came with a shallow .git"
    [job] = standin.sent
    assert TOKEN not in str(job), "the API token never reaches a run"
    assert not standin.jobs, "a run's Job is deleted once it has ended"

    answered_and_landed(server, waiting, repo, "hello from a pod", timeout=120)


def test_a_crash_fails_the_task_with_its_stderr_from_the_termination_message(
    kube_server: ServerProcess,
) -> None:
    task = kube_server.create("crash")
    kube_server.act(task["id"], "start")
    failed = kube_server.wait_for(task["id"], "failed", timeout=120)
    assert "agent crashed hard" in failed["error"]
    log = str([e["data"] for e in kube_server.events(task["id"]) if e["type"] == "output"])
    assert "agent crashed hard" not in log, "stderr is kept out of the pod's log"


def test_a_cancel_deletes_the_job_in_the_background(
    kube_server: ServerProcess, standin: StandIn
) -> None:
    task = kube_server.create("sleep 600")
    kube_server.act(task["id"], "start")
    until("the run's Job", lambda: standin.jobs, timeout=60)
    kube_server.act(task["id"], "cancel")
    until("the Job gone", lambda: not standin.jobs, timeout=60)
    assert standin.deleted == [{"propagationPolicy": ["Background"]}]


def test_a_run_outlives_a_restart_and_its_result_still_lands(
    standin: StandIn, tmp_path: Path, repo: Path, sandbox_image: str
) -> None:
    server = _server(standin, tmp_path, repo, sandbox_image)
    try:
        task = server.create("sleep 3\nwrite after.txt written across a restart")
        server.act(task["id"], "start")
        until("the run's Job", lambda: standin.jobs, timeout=60)
        server.stop()  # the run goes on; its upload waits for the app
        server.start()
        server.wait_for(task["id"], "waiting", timeout=120)
        notes = [e["data"].get("message") for e in server.events(task["id"])]
        assert "reattached after a restart" in notes
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done", timeout=60)
        assert file_on_branch(repo, "main", "after.txt") == "written across a restart\n"
    finally:
        server.stop()
