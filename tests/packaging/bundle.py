"""Building the PyInstaller bundle for tests and benchmarks, kept per source hash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import prebuild
from tests.deploy.images import CACHE, ROOT
from tests.engine import content_digest

PARTS = ("build.spec", "pyproject.toml", "app", "server", "runner", "assets")


def bundle_dir() -> Path:
    """dist/Wallfacer for the current sources (built now if not yet)."""
    return Path(prebuild.result("bundle", _bundle))


def start_bundle() -> None:
    """Start building the bundle in the background, if it needs building."""
    prebuild.start("bundle", _bundle)


def _bundle() -> Path:
    out = CACHE / f"bundle-{content_digest(ROOT, PARTS)}"
    app = out / "dist" / "Wallfacer"
    if (app / "Wallfacer").exists():
        return app
    if shutil.which("pyinstaller") is None:
        message = "pyinstaller comes with the dev extra"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    for old in CACHE.glob("bundle-*"):  # keep the current build only
        shutil.rmtree(old, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(ROOT / "build.spec"),
            "--noconfirm",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "build"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return app


def size_mb(path: Path) -> float:
    files = (f for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return sum(f.stat().st_size for f in files) / 1e6
