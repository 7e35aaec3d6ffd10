"""The server runs in its own container, starts sibling task containers through the
mounted socket, and one task goes from the API to the repo's main branch."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests

from tests.deploy.images import server_image
from tests.gitrepo import file_on_branch
from tests.ports import free_port


@pytest.fixture
def served(
    docker_client: docker.DockerClient, sandbox_image: str, repo: Path
) -> Iterator[tuple[str, str]]:
    image = server_image(docker_client)
    token = secrets.token_urlsafe(24)
    port = free_port()
    volume = f"wallfacer-test-{uuid.uuid4().hex[:8]}"
    container = docker_client.containers.run(
        image,
        command=["/repos/project"],  # not the host path: mounts must be translated
        detach=True,
        user="0:0",  # the owner of the test repo; in production, the repos' owner
        environment={
            "WALLFACER_TOKEN": token,
            "WALLFACER_IMAGE": sandbox_image,
            "WALLFACER_EGRESS": "none",  # the fake agent needs no network
        },
        volumes={
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(repo): {"bind": "/repos/project", "mode": "rw"},
            volume: {"bind": "/data", "mode": "rw"},
        },
        ports={"8080/tcp": ("127.0.0.1", port)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            container.reload()
            if container.status == "exited" or time.monotonic() > deadline:
                pytest.fail("server container did not start:\n" + container.logs().decode())
            time.sleep(0.2)
        yield url, token
    finally:
        print(container.logs().decode()[-4000:])
        container.remove(force=True)
        docker_client.volumes.get(volume).remove(force=True)


def test_a_task_runs_end_to_end_through_the_server_container(
    served: tuple[str, str], repo: Path, docker_client: docker.DockerClient
) -> None:
    url, token = served
    auth = {"Authorization": f"Bearer {token}"}
    health = requests.get(url + "/health", timeout=10).json()
    assert health["docker"] is True, "the server reaches the host engine through the socket"

    task = requests.post(
        url + "/api/tasks",
        json={"prompt": "write deployed.txt from the container"},
        headers=auth,
        timeout=10,
    ).json()
    assert requests.post(f"{url}/api/tasks/{task['id']}/start", headers=auth).status_code == 202

    def status() -> dict[str, Any]:
        answer: dict[str, Any] = requests.get(
            f"{url}/api/tasks/{task['id']}", headers=auth, timeout=10
        ).json()
        return answer

    deadline = time.monotonic() + 60
    while status()["status"] not in ("waiting", "failed"):
        assert time.monotonic() < deadline, status()
        time.sleep(0.2)
    assert status()["status"] == "waiting", status()["error"]
    assert requests.post(f"{url}/api/tasks/{task['id']}/accept", headers=auth).status_code == 202
    while status()["status"] == "committing":
        time.sleep(0.1)
    assert status()["status"] == "done", status()
    assert file_on_branch(repo, "main", "deployed.txt") == "from the container\n"
    leftovers = docker_client.containers.list(
        all=True, filters={"label": f"wallfacer.task={task['id']}"}
    )
    assert leftovers == []


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck(
    docker_client: docker.DockerClient,
) -> None:
    config = docker_client.images.get(server_image(docker_client)).attrs["Config"]
    assert config["User"] == "wallfacer"
    assert "/health" in " ".join(config["Healthcheck"]["Test"])
    assert config["Entrypoint"] == ["wallfacer", "--headless"]
