"""A coroutine a test runs to its end, on a thread of its own.

Once a worker's browser is up (``tests.ui.conftest``), Playwright's sync API
keeps an event loop running on that process's main thread, where
``asyncio.run`` refuses to start another; the suite's workers run test files
in any order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1, thread_name_prefix="test-asyncio") as thread:
        return thread.submit(asyncio.run, coroutine).result()
