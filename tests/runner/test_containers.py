"""Containers on the real engine: labels, mounts, streaming and removal."""

from __future__ import annotations

import gc
import os
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.models.containers import Container

from runner import holders
from runner.containers import Engine, instance_id
from runner.egress import Egress
from runner.errors import ImageMissing
from runner.runspec import RunSpec
from tests.engine import holders_of


def spec(image: str, worktree: Path, prompt: str, **extra: object) -> RunSpec:
    (worktree / "objects").mkdir(exist_ok=True)
    (worktree / "home").mkdir(exist_ok=True)
    os.chmod(worktree, 0o777)  # the container runs as 1000:1000 when the tests run as root
    return RunSpec(
        task_id=f"t-{uuid.uuid4().hex[:8]}",  # its own: other tests run beside it
        instance=instance_id(worktree),
        image=image,
        args=["-p", prompt],
        workspace=worktree,
        repo_name="proj",
        objects=worktree / "objects",
        home=worktree / "home",
        user="1000:1000",
        **extra,  # type: ignore[arg-type]
    )


def test_a_run_streams_lines_and_writes_into_the_mounted_worktree(
    sandbox_image: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    engine = Engine()
    run = spec(
        sandbox_image, tmp_path, "write out.txt inside", env={"SECRET": "s"}, cpus=0.5, memory="64m"
    )
    container_id = engine.create(run)
    try:
        stream = engine.start(container_id)
        info = docker_client.containers.get(container_id).attrs
        assert info["Config"]["Labels"]["wallfacer.task"] == run.task_id
        assert info["Config"]["WorkingDir"] == "/workspace/proj"
        assert "SECRET=s" in info["Config"]["Env"]
        assert info["HostConfig"]["Memory"] == 64 * 1024 * 1024
        host = info["HostConfig"]
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["PidsLimit"] == 1024 and host["ReadonlyRootfs"] is True
        assert info["Config"]["User"] == "1000:1000"
        assert "HOME=/home/agent" in info["Config"]["Env"]
        assert not host["ExtraHosts"], "the host is out of reach unless asked for"
        mounts = {m["Destination"]: m for m in info["Mounts"]}
        assert mounts[str(tmp_path / "objects")]["RW"] is False
        assert mounts["/workspace/proj"]["RW"] and mounts["/home/agent"]["RW"]
        lines = list(stream)
        assert '"subtype":"init"' in lines[0] and '"type":"result"' in lines[-1]
        assert engine.wait(container_id).code == 0
        assert (tmp_path / "out.txt").read_text() == "inside\n"
        assert [c.task_id for c in engine.list(run.instance)] == [run.task_id]
        assert list(engine.stream(container_id)) == lines, "reattach replays from the start"
        assert list(engine.stream(container_id, skip=len(lines) - 1)) == lines[-1:]
    finally:
        engine.remove(container_id)
    assert engine.list(run.instance) == []
    engine.remove(container_id)  # removing twice is fine


@contextmanager
def agent(client: docker.DockerClient, image: str, prompt: str) -> Iterator[Container]:
    """The fake agent in a container of its own, removed after."""
    label = {"wallfacer.test": f"stream-{uuid.uuid4()}"}
    container = client.containers.run(
        image, ["-p", prompt], detach=True, network_mode="none", labels=label
    )
    try:
        yield container
    finally:
        container.remove(force=True)


def printed(container: Container) -> list[str]:
    """Every line the container printed, read from its log once it has exited."""
    container.wait()
    lines: list[str] = container.logs(stdout=True, stderr=False).decode().split("\n")
    return lines[:-1] if lines[-1] == "" else lines  # nothing after the last newline


def test_a_reattach_that_falls_behind_gets_every_line_once_and_in_order(
    sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    """F6: Docker 20.10's ``logs --follow`` can end without the tail when the
    container exits while the reader is behind."""
    with agent(docker_client, sandbox_image, "sleep 1\nchatty 1 20000") as container:
        lines = Engine().stream(container.id)
        got = [next(lines)]  # following while the agent runs
        time.sleep(2)  # it prints the rest and exits while the reader is behind
        for line in lines:
            got.append(line)
            if len(got) % 1000 == 0:
                time.sleep(0.05)  # and stays behind
        assert got == printed(container)
    steps = [int(m[1]) for line in got if (m := re.search(r"step (\d+)\.", line))]
    assert steps == list(range(1, 20001))
    assert '"type":"result"' in got[-1]


def test_a_last_line_without_a_newline_is_read_once(
    sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    """Docker 20.10's follow drops such a line about every other time (a race with
    the exit), so several agents end with one at once."""
    with ExitStack() as stack:
        containers = [
            stack.enter_context(
                agent(docker_client, sandbox_image, "say almost\nsleep 1\ntruncate")
            )
            for _ in range(6)
        ]
        engine = Engine()
        with ThreadPoolExecutor(len(containers)) as pool:
            streamed = list(pool.map(lambda c: list(engine.stream(c.id)), containers))
        for container, got in zip(containers, streamed, strict=True):
            assert got == printed(container)
            assert got[-1].endswith('"mess'), "the line cut off by the agent's exit"
        assert list(engine.stream(containers[0].id, skip=2)) == streamed[0][2:]


def test_a_stream_read_to_its_end_lets_go_of_its_socket(
    sandbox_image: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    """Not left to the garbage collector: a run's stream lives long enough to reach
    its oldest generation, rarely collected, and a busy server gathered sockets."""
    engine = Engine()
    container_id = engine.create(spec(sandbox_image, tmp_path, "say hi", network="none"))
    lines = engine.start(container_id)
    gc.freeze()  # what exists now is out of the collector's reach, as if aged
    try:
        attached = len(os.listdir("/proc/self/fd"))
        assert len(list(lines)) == 3
        assert len(os.listdir("/proc/self/fd")) == attached - 1
    finally:
        gc.unfreeze()
        engine.remove(container_id)


def test_a_missing_image_is_a_clear_error_not_a_pull(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    with pytest.raises(ImageMissing, match="not on this machine"):
        Engine().create(spec("wallfacer-no-such-image:0", tmp_path, "x"))


def test_a_container_created_ahead_waits_unstarted_until_its_start(
    sandbox_image: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    engine = Engine()
    run = spec(sandbox_image, tmp_path, "say made ahead", network="none")
    container_id = engine.create(run, ahead=True)
    try:
        assert engine.created(container_id)
        assert [(c.started, c.ahead) for c in engine.list(run.instance)] == [(False, True)]
        lines = list(engine.start(container_id))
        assert "made ahead" in lines[1]
        assert not engine.created(container_id)
        assert [c.started for c in engine.list(run.instance)] == [True]
    finally:
        engine.remove(container_id)
    assert not engine.created(container_id), "a container gone is not one to start"


class _StartedButRefused:
    """The engine's API, whose start is carried out and then answered with an error,
    as a busy dockerd does ("cannot start an already running container")."""

    def __init__(self, api: Any) -> None:
        self._api = api

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    def start(self, container: str) -> None:
        self._api.start(container)
        raise docker.errors.APIError("cannot start an already running container")


def test_a_holder_started_but_answered_with_an_error_is_kept(
    sandbox_image: str, docker_client: docker.DockerClient
) -> None:
    task_id = f"t-{uuid.uuid4().hex[:8]}"
    config = docker_client.api.create_host_config(cap_drop=["ALL"], read_only=True)
    api = _StartedButRefused(docker_client.api)
    holder = holders.hold(api, sandbox_image, "1000:1000", config, {"wallfacer.task": task_id})
    try:
        assert holder is not None and holders_of(docker_client, task_id) == [holder]
        assert docker_client.api.inspect_container(holder)["State"]["Running"]
    finally:
        for left in holders_of(docker_client, task_id):
            docker_client.api.remove_container(left, force=True)


def test_a_container_made_ahead_joins_a_held_network_that_goes_with_it(
    sandbox_image: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    engine = Engine()
    network = docker_client.networks.create(f"wallfacer-test-{uuid.uuid4().hex[:8]}")
    run = spec(sandbox_image, tmp_path, "say joined", network=network.name)
    try:
        container_id = engine.create(run, ahead=True)
        [holder] = holders_of(docker_client, run.task_id)
        held = docker_client.containers.get(holder).attrs
        assert held["State"]["Running"] and held["HostConfig"]["CapDrop"] == ["ALL"]
        assert held["HostConfig"]["ReadonlyRootfs"] and held["Config"]["User"] == "1000:1000"
        assert [c.id for c in engine.list(run.instance)] == [container_id], "not a run"
        mode = docker_client.api.inspect_container(container_id)["HostConfig"]["NetworkMode"]
        assert mode == f"container:{holder}"
        egress = Egress(engine, run.instance)
        address = held["NetworkSettings"]["Networks"][network.name]["IPAddress"]
        assert egress.container_ip(container_id, network.name) == address, "the holder's"
        assert "joined" in list(engine.start(container_id))[1]
        engine.remove(container_id)
        assert holders_of(docker_client, run.task_id) == []

        # A container removed without its holder (a crash between the two): swept.
        container_id = engine.create(run, ahead=True)
        docker_client.api.remove_container(container_id, force=True)
        assert holders_of(docker_client, run.task_id)
        engine.remove_orphan_holders(run.instance)
        assert holders_of(docker_client, run.task_id) == []
    finally:
        for left in holders_of(docker_client, run.task_id):
            docker_client.api.remove_container(left, force=True)
        network.remove()


def test_a_container_whose_held_network_stopped_still_starts(
    sandbox_image: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    """The holder made ahead died before the start (the engine once let one go): it is
    started again, where the start failed with "cannot join network of a non running
    container"."""
    engine = Engine()
    run = spec(sandbox_image, tmp_path, "say joined")
    container_id = engine.create(run, ahead=True)
    try:
        [holder] = holders_of(docker_client, run.task_id)
        docker_client.api.kill(holder)
        assert "joined" in list(engine.start(container_id))[1]
    finally:
        engine.remove(container_id)
    assert holders_of(docker_client, run.task_id) == []
