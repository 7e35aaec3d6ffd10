"""The app's side of the window process (``window.run_child``).

The window runs in a child so that nothing its web view does can end the app:
when the child dies without being asked to, ``on_failed`` hears its exit
status and the app carries on serving (the desktop opens the board in the
browser instead).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
CHILD = "_window"  # the hidden first argument that makes ``wallfacer`` the window process


def own_command() -> list[str]:
    """This program: the bundle's executable, or the interpreter running ``app``."""
    return [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]


class WindowProcess:
    def __init__(
        self,
        url: str,
        geometry_file: Path,
        tray: bool,
        on_quit: Callable[[], None],
        on_failed: Callable[[int], None],
    ) -> None:
        self.on_quit = on_quit
        self.on_failed = on_failed
        self.visible = True  # it opens shown
        self.ready = False
        self.quitting = False
        self.proc = subprocess.Popen(
            [*own_command(), CHILD, url, str(geometry_file), "tray" if tray else "no-tray"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._listen, name="wallfacer-window", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def show(self, task_id: str | None = None) -> None:
        self._send(f"show {task_id or ''}".strip())

    def destroy(self, timeout: float = 2.0) -> None:
        self.quitting = True
        self._send("destroy")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # it has gone; _listen reports that

    def _listen(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # anything else a toolkit prints there is ignored
            event = line.strip()
            if event in ("shown", "hidden"):
                self.visible = event == "shown"
            elif event == "ready":
                self.ready = self.visible = True
            elif event == "quit":
                self.on_quit()
        status = self.proc.wait()
        self.visible = False
        if not self.quitting:
            log.warning("the window failed (exit status %s)", status)
            self.on_failed(status)
