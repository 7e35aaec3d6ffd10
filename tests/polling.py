"""Waiting for what the app does in the background: no test asserts how long it takes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(what: str, check: Callable[[], T], timeout: float = 60, every: float = 0.05) -> T:
    """Ask ``check`` until its answer is truthy, and return that answer."""
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(every)
    return answer
