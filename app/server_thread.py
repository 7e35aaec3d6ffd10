"""The aiohttp server on a background thread with its own event loop.

The desktop shell owns the main thread (GUI toolkits insist on it), so the
server lives beside it and is stopped by cancelling its serving task.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import replace

from app.handover import Served
from server.app import serve
from server.model import Task
from server.settings import Settings

Listener = Callable[[Task, dict[str, int]], None]
log = logging.getLogger(__name__)


class ServerThread:
    def __init__(self, settings: Settings, on_change: Listener | None = None) -> None:
        self.settings = settings
        self.on_change = on_change
        self.url = ""
        self.served: Served | None = None  # once serving
        self.ready = threading.Event()
        self.failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._serving: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="wallfacer-server", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        if not self.ready.wait(timeout):
            raise RuntimeError("the server did not start in time")
        if self.failed is not None:
            raise self.failed

    def new_signin_url(self, kind: str) -> str:
        """A fresh one-time link (each works once), made on the server's loop."""
        assert self.served is not None
        return self.served.signin_url(kind)

    def stop(self, timeout: float = 2.5) -> None:
        if self._loop is not None and self._serving is not None:
            self._loop.call_soon_threadsafe(self._serving.cancel)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        def on_ready(url: str, signin: Callable[[str], str]) -> None:
            self.url, self.served = url, Served(self.settings, url, signin)
            self.ready.set()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._serving = asyncio.current_task()
            if self.settings.port and _taken(self.settings.host, self.settings.port):
                # The window needs no fixed port: take any free one.
                log.info("port %s is taken; serving on a free port", self.settings.port)
                self.settings = replace(self.settings, port=0)
            await serve(self.settings, on_ready=on_ready, on_change=self._changed)

        try:
            asyncio.run(main())  # also cancels and awaits the server's background work
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # the shell reports it
            self.failed = exc
            self.ready.set()

    def _changed(self, task: Task, counts: dict[str, int]) -> None:
        if self.on_change is not None:
            self.on_change(task, counts)


def _taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        if sys.platform != "win32":  # as aiohttp binds: a port in TIME_WAIT is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False
