"""The real app served from a thread of the test process: the same HTTP, no start-up cost.

Starting a child Python costs a second of imports per test; this serves the
very same ``server.app.serve`` through ``app.server_thread`` (the desktop's
way to serve), from the same command line. Tests whose point is a real
process (a restart, ``kill -9``, the CLI, the desktop, a process-wide
environment) use ``ServerProcess`` itself.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from app.instance import DataDirLock
from app.main import exposure_refusal, parse_args, settings_from
from app.server_thread import ServerThread
from tests.server_process import ServerProcess


class InProcessServer(ServerProcess):
    _thread: ServerThread | None = None
    _log: logging.Handler | None = None
    _lock: DataDirLock | None = None

    def start(self) -> None:
        other = [k for k in self.extra_env if not k.startswith("WALLFACER_")]
        assert not other, f"{other} act at run time, process-wide: use ServerProcess"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _environment(self.extra_env):
            settings = settings_from(parse_args(self.command()[3:]))
        refusal = exposure_refusal(settings)
        if refusal is not None:
            raise RuntimeError(f"the server refused to start: {refusal}")
        self._lock = DataDirLock(settings.data_dir).__enter__()  # as main() holds it
        self._log = _capture(self.log_path)
        self._thread = ServerThread(settings)
        self._thread.start()

    def block_loop(self, seconds: float) -> None:
        """Hold the server's event loop, as a blocking call made on it would."""
        assert self._thread is not None and self._thread._loop is not None
        self._thread._loop.call_soon_threadsafe(time.sleep, seconds)

    def kill(self) -> None:
        raise AssertionError("kill -9 needs a real process: use ServerProcess")

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop(timeout=15)
            # Work that ignores its cancel is named in the log after jobs.STUCK_S.
            assert not self._thread.alive, f"the server did not stop:\n{self.log()[-4000:]}"
            self._thread = None
        if self._log is not None:
            logging.getLogger().removeHandler(self._log)
            self._log.close()
            self._log = None
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None


@contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    """The flags' environment fallbacks as a child would see them: no WALLFACER_*
    from the test run's own environment, plus the test's."""
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("WALLFACER_")]:
        del os.environ[key]
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _capture(path: os.PathLike[str]) -> logging.Handler:
    """The server's log in the file ``ServerProcess.log`` reads, as a child writes it."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    return handler
