"""The real Docker engine for tests, and the locally built test sandbox image.

In CI (CI=true) a missing engine fails the run: a green run that skipped the
engine would be a lie. Elsewhere the engine tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import docker
import pytest

from runner.containers import LABEL_INSTANCE, instance_id
from runner.holders import LABEL_HOLDER
from tests.buildlock import exclusive

SANDBOX_DIR = Path(__file__).parent / "sandbox"
BUSYBOX = Path(shutil.which("busybox") or "/bin/busybox")


def require_docker() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        message = f"a Docker engine is required: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return client


def content_digest(root: Path, names: tuple[str, ...]) -> str:
    """A short hash of the named files and folders under root: a build's cache key."""
    digest = hashlib.sha256()
    for name in names:
        source = root / name
        for path in sorted(source.rglob("*")) if source.is_dir() else [source]:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def has_image(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def build_sandbox(client: docker.DockerClient, folder: Path = SANDBOX_DIR) -> str:
    """Build a busybox test image (the fake agent, the attacker) once per content."""
    tag = f"wallfacer-test-{folder.name}:{content_digest(folder.parent, (folder.name,))}"
    with exclusive(f"image-{folder.name}"):
        if has_image(client, tag):
            return tag
        if not BUSYBOX.exists():
            pytest.fail(
                "busybox-static is needed to build the test image (apt-get install busybox-static)"
            )
        with tempfile.TemporaryDirectory() as ctx:
            for path in folder.iterdir():
                shutil.copy(path, ctx)
            shutil.copy(BUSYBOX, Path(ctx) / "busybox")
            # No network: none is needed, and an engine may have no bridge (tests/dockerd.py).
            client.images.build(path=ctx, tag=tag, rm=True, forcerm=True, network_mode="none")
    return tag


def containers_of(client: docker.DockerClient, task_id: str, status: str = "") -> list[str]:
    """The ids of the task's run containers (not the holders of their networks), in
    ``status`` if given: the low-level list, as the high-level one inspects each
    container, which may be gone by then."""
    wanted = {"label": f"wallfacer.task={task_id}", **({"status": status} if status else {})}
    found = client.api.containers(all=True, filters=wanted)
    return [c["Id"] for c in found if LABEL_HOLDER not in (c.get("Labels") or {})]


def holders_of(client: docker.DockerClient, task_id: str) -> list[str]:
    """The ids of the containers holding the network of the task's runs made ahead."""
    wanted = {"label": [f"wallfacer.task={task_id}", LABEL_HOLDER]}
    return [c["Id"] for c in client.api.containers(all=True, filters=wanted)]


def remove_left_by(client: docker.DockerClient, data_dirs: list[Path]) -> None:
    """Remove the containers of the app instances of ``data_dirs``: a stopped server
    leaves its runs going, to reattach them at its next start, and the engine is
    shared with other test runs. The egress proxy is the tests' that made it."""
    wanted = {instance_id(d) for d in data_dirs}
    for found in client.api.containers(all=True, filters={"label": LABEL_INSTANCE}):
        labels = found.get("Labels") or {}
        if labels.get(LABEL_INSTANCE) in wanted and "wallfacer.egress" not in labels:
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(found["Id"], force=True)
