"""The command line refuses bad input with a message a person can act on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.server_process import ROOT, cli


def test_a_repo_that_is_not_git_is_refused(tmp_path: Path) -> None:
    done = cli("--headless", "--data-dir", str(tmp_path / "d"), str(tmp_path))
    assert done.returncode != 0
    assert "not a git repository" in done.stderr


def test_a_bad_address_is_refused(tmp_path: Path) -> None:
    done = cli("--headless", "--addr", "nonsense", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "HOST:PORT" in done.stderr


def test_help_lists_the_environment_fallbacks() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "WALLFACER_DATA_DIR" in done.stdout and "WALLFACER_IMAGE" in done.stdout
