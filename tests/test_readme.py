"""The README says what the code does: its API table is the route table's."""

from __future__ import annotations

import difflib

from server.routes import with_api_table
from tests.server_process import ROOT


def test_the_api_table_has_a_row_per_route() -> None:
    readme = (ROOT / "README.md").read_text()
    fixed = with_api_table(readme)
    diff = "".join(difflib.unified_diff(readme.splitlines(True), fixed.splitlines(True), n=0))
    assert not diff, (
        "README.md's API table differs from server/routes.py's ROUTES; "
        f"run `python -m server.routes README.md` to rewrite it:\n{diff}"
    )
