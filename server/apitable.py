"""The README's API table, made from the route table: a row per API route, in order,
so the table cannot drift from what the server serves (``tests/test_readme.py``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from server.routes import ROUTES

API_TABLE_HEAD = "| method + path | does |\n|---|---|\n"


def with_api_table(readme: str) -> str:
    """``readme`` with its API table made from ROUTES: a row per API route, in order.

    The table's words stay the README's: a row already there is kept as it is;
    a new route's row says its summary, for a person to expand.
    """
    head, found, rest = readme.partition(API_TABLE_HEAD)
    if not found:
        raise ValueError(f"no API table: no line {API_TABLE_HEAD.splitlines()[0]!r}")
    table = re.match(r"(?:\|.*\n)*", rest)
    assert table is not None  # the pattern matches the empty string too
    said = dict(re.findall(r"^\| `([A-Z]+ \S+)` \| (.*) \|$", table[0], re.M))
    routes = {f"{r.method} {r.path}": r.summary for r in ROUTES if r.api}
    rows = "".join(f"| `{key}` | {said.get(key, summary)} |\n" for key, summary in routes.items())
    return head + found + rows + rest[table.end() :]


if __name__ == "__main__":  # python -m server.apitable README.md
    readme = Path(sys.argv[1])
    readme.write_text(with_api_table(readme.read_text()))
