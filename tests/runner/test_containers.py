"""Containers on the real engine: labels, mounts, streaming and removal."""

from __future__ import annotations

import os
from pathlib import Path

import docker
import pytest

from runner.containers import Engine, RunSpec, instance_id
from runner.errors import ImageMissing


def spec(image: str, worktree: Path, prompt: str, **extra: object) -> RunSpec:
    (worktree / "objects").mkdir(exist_ok=True)
    (worktree / "home").mkdir(exist_ok=True)
    os.chmod(worktree, 0o777)  # the container runs as 1000:1000 when the tests run as root
    return RunSpec(
        task_id="t-123",
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
    container_id, stream = engine.run(run)
    try:
        info = docker_client.containers.get(container_id).attrs
        assert info["Config"]["Labels"]["wallfacer.task"] == "t-123"
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
        assert [c.task_id for c in engine.list(run.instance)] == ["t-123"]
        assert list(engine.stream(container_id)) == lines, "reattach replays from the start"
        assert list(engine.stream(container_id, skip=len(lines) - 1)) == lines[-1:]
    finally:
        engine.remove(container_id)
    assert engine.list(run.instance) == []
    engine.remove(container_id)  # removing twice is fine


def test_a_missing_image_is_a_clear_error_not_a_pull(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    with pytest.raises(ImageMissing, match="not on this machine"):
        Engine().run(spec("wallfacer-no-such-image:0", tmp_path, "x"))
