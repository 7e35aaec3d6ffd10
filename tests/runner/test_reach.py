"""Where the host reaches a task container, on the real engine: the bridge's address,
a holder's for a container that joined one, and a reason when there is none.

Everything made carries a per-run label and id, and only that is removed: the
engine is shared.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import docker.errors
import pytest

from runner import holders
from runner.containers import Engine
from runner.egress import INHIBIT_IPV4
from runner.reach import Unreachable, container_address

Make = Callable[..., str]


@pytest.fixture
def make(docker_client: docker.DockerClient, sandbox_image: str) -> Iterator[Make]:
    """Start a sleeping sandbox container with the given host config; removed after."""
    api = docker_client.api
    labels = {"wallfacer.test-run": f"t{uuid.uuid4().hex[:10]}"}
    made: list[str] = []

    def run(network_mode: str, **extra: Any) -> str:
        created = api.create_container(
            sandbox_image,
            entrypoint=["sleep", "300"],
            labels={**labels, **extra.pop("labels", {})},
            host_config=api.create_host_config(network_mode=network_mode),
        )
        made.append(created["Id"])
        api.start(created["Id"])
        return str(created["Id"])

    yield run
    for container in made:
        with contextlib.suppress(docker.errors.NotFound):  # a test removed it itself
            api.remove_container(container, force=True)


def ip_on(docker_client: docker.DockerClient, container: str, network: str) -> str:
    info = docker_client.api.inspect_container(container)
    return str(info["NetworkSettings"]["Networks"][network]["IPAddress"])


def test_a_container_on_the_bridge_is_reached_at_its_address(
    make: Make, docker_client: docker.DockerClient
) -> None:
    container = make("bridge")
    assert container_address(Engine(), container) == ip_on(docker_client, container, "bridge")


def test_a_container_that_joined_a_holder_is_reached_at_the_holder_s(
    make: Make, docker_client: docker.DockerClient
) -> None:
    holder = make("bridge")
    joined = make(holders.joining(holder), labels={holders.LABEL_NETNS: holder})
    assert container_address(Engine(), joined) == ip_on(docker_client, holder, "bridge")


def test_no_network_an_internal_one_or_no_container_says_why(
    make: Make, docker_client: docker.DockerClient
) -> None:
    engine = Engine()
    with pytest.raises(Unreachable, match="no network"):
        container_address(engine, make("none"))

    name = f"wallfacer-test-reach-{uuid.uuid4().hex[:10]}"
    network = docker_client.api.create_network(
        name, driver="bridge", internal=True, options={INHIBIT_IPV4: "true"}
    )
    try:
        inside = make(name)
        with pytest.raises(Unreachable, match="allowlist"):
            container_address(engine, inside)
        docker_client.api.remove_container(inside, force=True)
        with pytest.raises(Unreachable, match="gone"):
            container_address(engine, inside)
    finally:
        docker_client.api.remove_network(network["Id"])

    stopped = make("bridge")
    docker_client.api.kill(stopped)
    with pytest.raises(Unreachable, match="not running"):
        container_address(engine, stopped)
