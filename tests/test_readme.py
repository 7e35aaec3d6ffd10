"""The README says what the code does: its API table is the route table's, and its
test command is the one CI runs."""

from __future__ import annotations

import difflib
import re

from server.apitable import with_api_table
from tests.server_process import ROOT


def test_the_api_table_has_a_row_per_route() -> None:
    readme = (ROOT / "README.md").read_text()
    fixed = with_api_table(readme)
    diff = "".join(difflib.unified_diff(readme.splitlines(True), fixed.splitlines(True), n=0))
    assert not diff, (
        "README.md's API table differs from server/routes.py's ROUTES; "
        f"run `python -m server.apitable README.md` to rewrite it:\n{diff}"
    )


VENV = "~/.venvs/wallfacer"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = readme.partition("## Run the tests\n\n```sh\n")[2].partition("\n```")[0]
    venv, activate, install, checks = command.split(" && ", 3)
    assert venv == f"python3 -m venv {VENV}" and activate == f". {VENV}/bin/activate"
    assert install == "pip install -e '.[dev]'" and "lint-imports" in checks
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    made, activated, installed, last = ci[-4:]
    assert last == checks, ".ci/run's last line must be the README's test command"
    assert made == f"[ -x {VENV}/bin/python ] || {venv}", "the venv is made only once"
    assert activated == activate
    assert installed.startswith("pip install") and installed.endswith("-e '.[dev]'")


def test_each_reliability_row_names_a_test_that_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.partition("## Reliability\n")[2].partition("\n## ")[0]
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", section)
    assert len(named) >= 5, "the Reliability table names its tests"
    for path, name in named:
        source = (ROOT / path).read_text()
        assert f"def {name}(" in source, f"{path}::{name} is not a test"
