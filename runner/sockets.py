"""Where the container engine listens: ``DOCKER_HOST``, Docker's socket, or Podman's
Docker-compatible one (``runner.containers`` connects through it)."""

from __future__ import annotations

import os
from pathlib import Path

import docker

DOCKER_SOCKET = "/var/run/docker.sock"


def podman_sockets() -> list[Path]:
    """Where Podman's Docker-compatible socket lives: rootless first, then system."""
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    found = [Path(runtime_dir) / "podman" / "podman.sock"] if runtime_dir else []
    return [*found, Path("/run/podman/podman.sock")]


def connect() -> docker.DockerClient:
    """DOCKER_HOST or Docker's socket when present; else Podman's compatible socket."""
    if os.environ.get("DOCKER_HOST") or Path(DOCKER_SOCKET).exists():
        return docker.from_env(timeout=30)
    for socket in podman_sockets():
        if socket.exists():
            return docker.DockerClient(base_url=f"unix://{socket}", timeout=30)
    return docker.from_env(timeout=30)


def hint() -> str:
    """The address the engine was looked for at, for a person to check."""
    return os.environ.get("DOCKER_HOST") or f"unix://{DOCKER_SOCKET}"
