"""Building a bundled sandbox image, or pulling a named one, with progress."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import docker.errors

from runner.agents import REGISTRY
from runner.containers import Engine
from runner.errors import ImageFailed
from runner.runspec import sandbox_owner

HERE = Path(__file__).resolve().parent

Progress = Callable[[str], None]

LABEL_BASE_ID = "wallfacer.base-id"


def _app_version() -> str:
    try:
        return version("wallfacer")
    except PackageNotFoundError:
        return "0.0.0"


@functools.cache  # the inputs do not change while the app runs
def bundled_tag(agent: str, base: str | None = None, cli: Path | None = None) -> str:
    """The tag covers everything a build depends on that is known without the engine:
    the Dockerfile's folder, the build args (base reference, uid/gid) and the CLI's
    digest. The base's image id is a label, checked by ``current``."""
    digest = hashlib.sha256()
    for path in sorted((HERE / agent).iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(json.dumps(_build_args(base)).encode())
    if cli is not None:
        digest.update(_cli_digest(agent, cli).encode())
    return f"wallfacer-{agent}:{_app_version()}-{digest.hexdigest()[:12]}"


def _build_args(base: str | None) -> dict[str, str]:
    uid, gid = sandbox_owner("")  # who its containers will run as
    return {"UID": str(uid), "GID": str(gid), **({"BASE": base} if base else {})}


def _cli_digest(agent: str, cli: Path) -> str:
    """The CLI's executable, hashed (for an npm prefix, the one the build copies); a
    CLI that cannot be read is named instead, and its build says what is wrong."""
    digest = hashlib.sha256()
    try:
        executable = _npm_executable(agent, cli) if cli.is_dir() else cli
        with open(executable, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except (OSError, ImageFailed):
        return f"unreadable {cli}"
    return digest.hexdigest()


def exists(engine: Engine, ref: str) -> bool:
    try:
        engine.client().images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def current(engine: Engine, ref: str, base: str | None) -> bool:
    """Whether ``ref`` exists and was built on the base image as it is now (a base
    rebuilt under the same name means a rebuild here too)."""
    try:
        image = engine.client().images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    built_on, now = (image.labels or {}).get(LABEL_BASE_ID), _base_id(engine, base)
    return built_on is None or now is None or built_on == now


def _base_id(engine: Engine, base: str | None) -> str | None:
    if not base:
        return None
    try:
        return str(engine.client().images.get(base).id)
    except docker.errors.ImageNotFound:
        return None  # pulled by the build itself


def build(
    engine: Engine,
    agent: str,
    progress: Progress,
    base: str | None = None,
    cli_binary: Path | None = None,
) -> str:
    """Build the bundled image for ``agent``; ``cli_binary`` skips npm inside the build.

    ``cli_binary`` is the CLI's native binary, or the DIR of an
    ``npm install --prefix DIR <package>@<pinned>`` made outside the build.
    """
    tag = bundled_tag(agent, base, cli_binary)
    tail: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        for path in (HERE / agent).iterdir():
            shutil.copy2(path, context / path.name)
        (context / "cli").mkdir()
        if cli_binary is not None:
            _place_cli(agent, cli_binary, context / "cli")
        base_id = _base_id(engine, base)
        stream = engine.client().api.build(
            # forcerm: a failed step's container is removed too, not left behind
            path=str(context),
            tag=tag,
            buildargs=_build_args(base),
            labels={LABEL_BASE_ID: base_id} if base_id else None,
            rm=True,
            forcerm=True,
            decode=True,
        )
        _follow(stream, f"building {tag}", progress, tail)
    return tag


def _place_cli(agent: str, given: Path, into: Path) -> None:
    """Put the CLI at ``into/<agent>``: a plain binary is copied there; an npm
    prefix has its package's native files copied to ``into/dist`` and
    ``into/<agent>`` made a relative link to the executable among them."""
    if not given.is_dir():
        shutil.copy2(given, into / agent)
        return
    executable = _npm_executable(agent, given)
    root = executable.parent
    for _ in range(REGISTRY[agent].npm_root_up):
        root = root.parent
    shutil.copytree(root, into / "dist", symlinks=True)
    (into / agent).symlink_to(Path("dist") / executable.relative_to(root))


def _npm_executable(agent: str, prefix: Path) -> Path:
    pattern = REGISTRY[agent].npm_executable
    found = sorted(prefix.glob(pattern))
    if not found:
        raise ImageFailed(f"no {agent} CLI in {prefix} (looked for {pattern})", [])
    return found[0]


def pull(engine: Engine, ref: str, progress: Progress) -> str:
    repository, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
    tail: list[str] = []
    try:
        stream = engine.client().api.pull(repository, tag=tag, stream=True, decode=True)
        _follow(stream, f"pulling {ref}", progress, tail)
    except docker.errors.APIError as exc:
        raise ImageFailed(f"pulling {ref} failed: {exc.explanation or exc}", tail) from exc
    return ref


def _follow(
    stream: Iterable[dict[str, Any]], doing: str, progress: Progress, tail: list[str]
) -> None:
    """Report each line of a build or pull; keep the last 30 for a failure's log."""
    for chunk in stream:
        line = _line(chunk)
        if line:
            tail.append(line)
            del tail[:-30]
            progress(line)
        if "error" in chunk:
            raise ImageFailed(f"{doing} failed: {str(chunk['error']).strip()}", tail)


def _line(chunk: dict[str, Any]) -> str:
    """One readable progress line from a build or pull stream chunk."""
    if "stream" in chunk:
        return str(chunk["stream"]).strip()
    if "status" in chunk:
        parts = [chunk.get("id", ""), chunk["status"], chunk.get("progress", "")]
        return " ".join(str(p) for p in parts if p).strip()
    if "error" in chunk:
        return str(chunk["error"]).strip()
    return json.dumps(chunk)[:200] if chunk else ""
