"""A small filesystem of its own (tmpfs) for a test to fill, and what a test needs
of the machine: missing, it fails under CI=true and is skipped elsewhere."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

MIB = 1024 * 1024


def missing(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[Path]:
    """``path`` as a tmpfs of ``size_mb`` (needs root), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        missing(f"mounting a tmpfs needs root: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(folder: Path) -> Path:
    """Fill the filesystem under ``folder`` to its last byte; delete the file returned
    to give the space back."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (MIB, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler
