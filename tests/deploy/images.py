"""Images for the deployment tests, built here with no registry: a Debian base
from debootstrap (kept in the engine between runs) and the server image."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
import pytest

from tests import prebuild
from tests.buildlock import exclusive
from tests.engine import content_digest, has_image

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "wallfacer-tests"
BASE_TAG = "wallfacer-test/debian:bookworm"
SOURCES = ("Dockerfile", "pyproject.toml", "README.md", "app", "server", "runner")


def debian_base(client: docker.DockerClient) -> str:
    """A minimal Debian made by debootstrap and imported; built once per engine."""
    with exclusive("debian-base"):
        if has_image(client, BASE_TAG):
            return BASE_TAG
        if not shutil.which("debootstrap"):
            pytest.fail(
                "debootstrap is needed to build the base image (apt-get install debootstrap)"
            )
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "root"
            subprocess.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    "bookworm",
                    str(root),
                    "http://deb.debian.org/debian",
                ],
                check=True,
                capture_output=True,
            )
            tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
            subprocess.run(
                ["docker", "import", "-", BASE_TAG],
                stdin=tar.stdout,
                check=True,
                capture_output=True,
            )
            tar.wait()
    return BASE_TAG


def server_image(client: docker.DockerClient) -> str:
    """The server image from the repository's Dockerfile, with wheels made on the host
    (containers here cannot reach PyPI)."""
    return str(prebuild.result("server-image", lambda: _server_image(client)))


def start_server_image(client: docker.DockerClient) -> None:
    """Start building the server image in the background, if it needs building."""
    prebuild.start("server-image", lambda: _server_image(client))


def _server_image(client: docker.DockerClient) -> str:
    tag = f"wallfacer-server:test-{content_digest(ROOT, SOURCES)}"
    if has_image(client, tag):
        return tag
    base = debian_base(client)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        for name in SOURCES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, ctx / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, ctx / name)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--wheel-dir",
                str(ctx / "wheelhouse"),
                str(ctx),
            ],
            check=True,
            capture_output=True,
        )
        client.images.build(path=str(ctx), tag=tag, buildargs={"BASE": base}, rm=True, forcerm=True)
    for old in client.images.list("wallfacer-server"):  # keep one test build, not one per commit
        for name in old.tags:
            if name.startswith("wallfacer-server:test-") and name != tag:
                client.images.remove(name)
    return tag


CLAUDE_VERSION = "2.1.328"
CODEX_VERSION = "0.169.0"


def npm_prefix(name: str, package: str, version: str, marker: str) -> Path:
    """``npm install --prefix`` of a pinned CLI on the host (containers here cannot
    reach the npm registry), kept between runs; ``marker`` is a glob that finds
    its native executable once the install is complete."""
    prefix = CACHE / f"{name}-{version}"
    with exclusive(f"npm-{name}"):
        if not any(prefix.glob(marker)):
            if not shutil.which("npm"):
                pytest.fail(f"npm is needed to fetch {package}")
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(prefix),
                    f"{package}@{version}",
                ],
                check=True,
                capture_output=True,
            )
    return prefix


def claude_prefix() -> Path:
    """The pinned Claude Code CLI as an npm prefix (WALLFACER_CLAUDE_BINARY takes it)."""
    return npm_prefix(
        "claude-code",
        "@anthropic-ai/claude-code",
        CLAUDE_VERSION,
        "node_modules/@anthropic-ai/claude-code-linux-*/claude",
    )


def claude_binary() -> Path:
    """The pinned Claude Code CLI's native binary alone."""
    return next(claude_prefix().glob("node_modules/@anthropic-ai/claude-code-linux-*/claude"))


def codex_prefix() -> Path:
    """The pinned Codex CLI as an npm prefix (WALLFACER_CODEX_BINARY takes it)."""
    return npm_prefix(
        "codex",
        "@openai/codex",
        CODEX_VERSION,
        "node_modules/@openai/codex-linux-*/vendor/*/bin/codex-code-mode-host",
    )
