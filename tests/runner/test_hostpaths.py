"""Translating our paths to the host's, for a server that runs in a container."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import RunnerError
from runner.hostpaths import HostPaths


def test_outside_a_container_paths_are_host_paths() -> None:
    assert HostPaths().translate(Path("/home/me/repo")) == "/home/me/repo"


def test_the_deepest_mount_wins() -> None:
    paths = HostPaths(
        [("/data", "/var/lib/docker/volumes/wf/_data"), ("/data/repos", "/srv/repos")]
    )
    assert (
        paths.translate(Path("/data/worktrees/t/p"))
        == "/var/lib/docker/volumes/wf/_data/worktrees/t/p"
    )
    assert paths.translate(Path("/data/repos/p/.git")) == "/srv/repos/p/.git"
    assert paths.translate(Path("/data")) == "/var/lib/docker/volumes/wf/_data"


def test_a_path_only_inside_our_container_cannot_be_mounted() -> None:
    with pytest.raises(RunnerError, match="inside the server's container"):
        HostPaths([("/data", "/srv/data")]).translate(Path("/tmp/repo"))
    with pytest.raises(RunnerError):
        HostPaths([("/data", "/srv/data")]).translate(Path("/database"))


def test_podman_sockets_are_looked_for_rootless_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from runner.sockets import podman_sockets

    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    assert podman_sockets() == [
        Path("/run/user/1000/podman/podman.sock"),
        Path("/run/podman/podman.sock"),
    ]
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert podman_sockets() == [Path("/run/podman/podman.sock")]
