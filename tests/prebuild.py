"""Long builds (the PyInstaller bundle, the server image) started at collection time.

Each takes a minute when the sources changed, and the tests that need them
run last: the build goes on beside the rest of the suite, most of which waits
on containers rather than on the CPU. A test that needs one waits for it then.
Daemon threads: an interrupted run does not wait for a build nobody needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from tests.buildlock import exclusive

_builds: dict[str, Future[Any]] = {}
_lock = threading.Lock()


def start(name: str, build: Callable[[], Any]) -> None:
    with _lock:
        if name in _builds:
            return
        done: Future[Any] = Future()
        _builds[name] = done

    def run() -> None:
        try:
            with exclusive(name):  # another worker may be building it: then it is found
                done.set_result(build())
        except BaseException as exc:  # pytest.fail and .skip are BaseExceptions
            done.set_exception(exc)

    threading.Thread(target=run, name=f"prebuild-{name}", daemon=True).start()


def result(name: str, build: Callable[[], Any]) -> Any:
    """The build's result (or its exception), started now if it was not yet."""
    start(name, build)
    return _builds[name].result()
