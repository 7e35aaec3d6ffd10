"""What a run's container is made of: the ``RunSpec``, who it runs as, and what it mounts.

Kept apart from ``containers``, which speaks to the engine: the server builds
a spec (``server.launch``) without an engine at hand, and what a container
sees of the host (every mount, each read-only unless the agent must write
there) reads best in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from docker.types import Mount

from runner.homes import HOME
from runner.hostpaths import HostPaths

WORKSPACE = "/workspace"


@dataclass(frozen=True)
class Extra:
    """Another repository's workspace for a task spanning several, mounted as the
    primary's is (with its own objects, read-only); the workdir stays the primary's."""

    workspace: Path  # mounted read-write at /workspace/<name>
    name: str
    objects: Path


@dataclass(frozen=True)
class RunSpec:
    task_id: str
    instance: str
    image: str
    args: list[str]
    workspace: Path  # mounted at /workspace/<repo_name>, read-write unless workspace_readonly
    repo_name: str
    objects: Path  # the user's objects dir, mounted read-only where the workspace's alternates say
    home: Path  # the task's own home, mounted at HOME
    user: str  # "uid:gid", never 0
    env: dict[str, str] = field(default_factory=dict)
    cpus: float | None = None
    memory: str | None = None
    network: str | None = None
    pids_limit: int = 1024
    host_gateway: bool = False  # map host.docker.internal (a local model proxy, a test stub)
    boot: Path | None = None  # the run's steps before the agent (``runner.boot``), if any
    # (host path, container path) mounted read-only: files the host gives the agent to read.
    readonly: tuple[tuple[Path, str], ...] = ()
    also: tuple[Extra, ...] = ()
    # A side session's view of a task's workspaces (a verifier): it may read, never change them.
    workspace_readonly: bool = False


def sandbox_owner(image_user: str) -> tuple[int, int]:
    """Who a task container runs as: never root.

    The image's own USER when it is a non-root uid and the host can give the
    workspace to it (the host is root); otherwise the host user, so that files
    written in the workspace are theirs; a root host with a root or named
    image user gets 1000:1000.
    """
    uid_s, _, gid_s = image_user.partition(":")
    host_root = not hasattr(os, "geteuid") or os.geteuid() == 0
    if uid_s.isdigit() and int(uid_s) > 0 and host_root:
        uid = int(uid_s)
        return uid, int(gid_s) if gid_s.isdigit() else uid
    if not host_root:
        return os.geteuid(), os.getegid()
    return 1000, 1000


def mounts(spec: RunSpec, host: HostPaths) -> list[Mount]:
    """Every workspace, the objects they borrow (read-only), the home, and the files
    given to read (read-only); paths as the engine's host sees them."""
    each = [Extra(spec.workspace, spec.repo_name, spec.objects), *spec.also]
    objects = {str(extra.objects): extra.objects for extra in each}  # a worktree's are shared
    return [
        *(
            Mount(
                f"{WORKSPACE}/{extra.name}",
                host.translate(extra.workspace),
                type="bind",
                read_only=spec.workspace_readonly,
            )
            for extra in each
        ),
        *(
            Mount(target, host.translate(source), type="bind", read_only=True)
            for target, source in objects.items()
        ),
        Mount(HOME, host.translate(spec.home), type="bind"),
        *(
            Mount(target, host.translate(source), type="bind", read_only=True)
            for source, target in spec.readonly
        ),
    ]
