"""A bundled image's identity, and the CLI its build copies in: a binary or an npm prefix."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import docker
import pytest

from runner.containers import Engine
from runner.errors import ImageFailed
from runner.images.build import LABEL_BASE_ID, _place_cli, bundled_tag, current


def _file(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_plain_binary_is_copied_as_the_cli(tmp_path: Path) -> None:
    binary = _file(tmp_path / "somewhere" / "codex", "elf")
    into = tmp_path / "cli"
    into.mkdir()
    _place_cli("codex", binary, into)
    assert (into / "codex").read_text() == "elf" and not (into / "codex").is_symlink()


def test_a_codex_prefix_brings_everything_beside_its_binary(tmp_path: Path) -> None:
    root = tmp_path / "prefix/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl"
    _file(root / "bin/codex", "codex")
    _file(root / "bin/codex-code-mode-host", "host")
    _file(root / "codex-resources/bwrap")
    _file(root / "codex-path/rg")
    _file(root / "codex-package.json", "{}")
    into = tmp_path / "cli"
    into.mkdir()
    _place_cli("codex", tmp_path / "prefix", into)
    assert os.readlink(into / "codex") == "dist/bin/codex"  # relative: valid in the image too
    assert (into / "codex").read_text() == "codex"
    for name in ("bin/codex-code-mode-host", "codex-resources/bwrap", "codex-path/rg"):
        assert (into / "dist" / name).exists(), name


def test_a_claude_prefix_brings_its_native_package(tmp_path: Path) -> None:
    native = tmp_path / "prefix/node_modules/@anthropic-ai/claude-code-linux-x64"
    _file(native / "claude", "claude")
    _file(native / "package.json", "{}")
    into = tmp_path / "cli"
    into.mkdir()
    _place_cli("claude", tmp_path / "prefix", into)
    assert os.readlink(into / "claude") == "dist/claude"
    assert (into / "dist/package.json").exists()


def test_a_prefix_without_the_cli_says_what_it_looked_for(tmp_path: Path) -> None:
    (tmp_path / "prefix").mkdir()
    with pytest.raises(ImageFailed, match="no codex CLI"):
        _place_cli("codex", tmp_path / "prefix", tmp_path)


def test_the_image_tag_covers_base_args_and_cli_and_a_label_the_base_id(
    tmp_path: Path, docker_client: docker.DockerClient, sandbox_image: str
) -> None:
    """D11: another base or another CLI is another image, never one silently reused."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_bytes(b"cli one")
    two.write_bytes(b"cli two")
    tags = {
        bundled_tag("codex"),
        bundled_tag("codex", "base:a"),
        bundled_tag("codex", "base:b"),
        bundled_tag("codex", "base:a", one),
        bundled_tag("codex", "base:a", two),
    }
    assert len(tags) == 5
    tag = f"wallfacer-test-identity:{uuid.uuid4().hex[:12]}"
    (tmp_path / "Dockerfile").write_text(f"FROM {sandbox_image}\n")
    docker_client.images.build(
        path=str(tmp_path),
        tag=tag,
        labels={LABEL_BASE_ID: "sha256:" + "0" * 64},
        rm=True,
        forcerm=True,
    )
    try:
        engine = Engine()
        assert not current(engine, tag, sandbox_image), "built on a base that has changed since"
        assert current(engine, tag, None), "a base not given is not checked"
        assert not current(engine, f"{tag}-missing", None)
    finally:
        docker_client.images.remove(tag, force=True)
