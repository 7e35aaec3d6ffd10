"""The real Docker engine for tests, and the locally built test sandbox image.

In CI (CI=true) a missing engine fails the run: a green run that skipped the
engine would be a lie. Elsewhere the engine tests are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import docker
import pytest

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


def build_sandbox(client: docker.DockerClient) -> str:
    """Build the fake-agent image once per content; return its tag."""
    digest = hashlib.sha256()
    for name in sorted(p.name for p in SANDBOX_DIR.iterdir()):
        digest.update(name.encode() + (SANDBOX_DIR / name).read_bytes())
    tag = f"wallfacer-test-agent:{digest.hexdigest()[:12]}"
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    if not BUSYBOX.exists():
        pytest.fail(
            "busybox-static is needed to build the test image (apt-get install busybox-static)"
        )
    with tempfile.TemporaryDirectory() as ctx:
        for path in SANDBOX_DIR.iterdir():
            shutil.copy(path, ctx)
        shutil.copy(BUSYBOX, Path(ctx) / "busybox")
        client.images.build(path=ctx, tag=tag, rm=True, forcerm=True)
    return tag


def containers_of(client: docker.DockerClient, task_id: str) -> list[str]:
    found = client.containers.list(all=True, filters={"label": f"wallfacer.task={task_id}"})
    return [c.id for c in found]
