"""Fixtures shared by the server's tests that work on the store alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store in its own file, closed after the test."""
    store = Store(tmp_path / "wallfacer.db")
    yield store
    store.close()
