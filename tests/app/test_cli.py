"""The command line refuses bad input with a message a person can act on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.commands import SUBCOMMANDS, parser
from app.main import main
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


def test_help_lists_every_subcommand_and_each_has_its_own_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = cli("--help")
    assert done.returncode == 0
    listed = dict(re.findall(r"^  (\w+) +(.+)$", done.stdout.partition("\nsubcommands")[2], re.M))
    accepted = re.search(r"{(.+)}", parser().format_usage())
    assert accepted is not None
    assert sorted(listed) == sorted(accepted[1].split(",")), "wallfacer --help misses some"
    for name, line in listed.items():
        assert line == SUBCOMMANDS[name]
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        assert exited.value.code == 0
        own = capsys.readouterr().out
        assert own.startswith(f"usage: wallfacer {name} ") and line in own
