"""One build of a cached artefact at a time across the test run's processes.

The suite runs in several pytest-xdist workers, each with its own session
fixtures and collection-time prebuilds. Each checks its cache, so the one
that holds this lock builds, and the others, waiting on it, then find its
result instead of building the same thing again beside it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCKS = Path("/tmp/wallfacer-test-locks")


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold ``name``'s lock (a file lock: a killed worker releases it)."""
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    with open(LOCKS / f"{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
