"""How the suite's tests are shared among pytest-xdist workers.

One test at a time to whichever worker is free (as ``--dist load``), but a
file that makes a fixture once per module (a private swarm, a display, a
page) goes whole to one worker, where that fixture is then made once, not once
per worker. pytest 9's node ids ignore xdist's own ``xdist_group`` marks.
"""

from __future__ import annotations

import functools
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

ROOT = Path(__file__).resolve().parent.parent


class TestsOrWholeFiles(LoadScopeScheduling):  # type: ignore[misc]  # xdist: untyped
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return path if _makes_module_fixture(path) else nodeid


@functools.cache
def _makes_module_fixture(path: str) -> bool:
    file = ROOT / path
    return file.is_file() and 'scope="module"' in file.read_text()
