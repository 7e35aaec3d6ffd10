"""Desktop mode: the server on a thread, a tray icon, the board in a native window.

A second launch finds the first through its control socket, asks it to show
its window, and exits 0. Quit stops the server and leaves task containers
running, for the next start to reattach to.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from app.handover import control_path, hand_over
from app.instance import ControlServer, DataDirLock, InUse, send_control
from app.opener import open_with_os
from app.server_thread import ServerThread
from server.model import Task
from server.settings import Settings
from server.states import NEEDS_YOU, RUNNING, Status

if TYPE_CHECKING:
    from app.window import Window

log = logging.getLogger(__name__)


def resources() -> Path:
    """Bundled files: beside the code, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) if bundle else Path(__file__).resolve().parent.parent


def run_desktop(settings: Settings) -> int:
    sock = control_path(settings)
    handed = hand_over(settings)
    if handed is not None:
        send_control(sock, "show")
        print("Wallfacer is already running; its window is now in front.")
        return handed
    try:
        with DataDirLock(settings.data_dir):
            return Shell(settings, sock).run()
    except InUse as exc:
        print(f"wallfacer: {exc}", file=sys.stderr)
        return 1


class Shell:
    def __init__(self, settings: Settings, sock: Path) -> None:
        from app.tray import Tray

        self.settings = settings
        self.counts: dict[str, int] = {}
        self.server = ServerThread(settings, on_change=self._changed)
        self.tray = Tray(
            resources() / "assets" / "icons",
            self.show,
            self.quit,
            self.status,
            {
                "Open in Browser": lambda: open_with_os(self.server.new_signin_url("browser")),
                "Open Data Folder": lambda: open_with_os(str(settings.data_dir)),
            },
        )
        self.control = ControlServer(sock, self._control)
        self.window: Window | None = None
        self.last_task = ""

    def run(self) -> int:
        from app.window import Window

        self.server.start()
        log.info("serving on %s", self.server.url)
        self.control.start()
        self.tray.start()
        window = Window(
            self.server.new_signin_url("desktop"), self.settings.data_dir / "window.json"
        )
        self.window = window
        try:
            window.run()  # until Quit
        finally:
            started = time.monotonic()
            self.control.close()
            self.tray.stop()
            self.server.stop()
            log.info(
                "quit in %.1f s; task containers keep running and are reattached next start",
                time.monotonic() - started,
            )
        return 0

    def status(self) -> str:
        running = sum(self.counts.get(s, 0) for s in RUNNING)
        waiting = self.counts.get(Status.WAITING, 0)
        return f"{running} running · {waiting} waiting"

    def show(self, task_id: str | None = None) -> None:
        if self.window is not None:
            self.window.show(task_id or self.last_task or None)
            self.last_task = ""

    def quit(self) -> None:
        log.info("quit requested")
        if self.window is not None:
            self.window.destroy()

    def _changed(self, task: Task, counts: dict[str, int]) -> None:
        """On the server's loop: update the icon, and tell the user when they are needed."""
        self.counts = counts
        attention = any(counts.get(s, 0) for s in NEEDS_YOU)
        running = any(counts.get(s, 0) for s in RUNNING)
        self.tray.set_state("attention" if attention else "running" if running else "idle")
        if task.status in NEEDS_YOU:
            self.last_task = task.id  # Open Dashboard now opens this task
            verb = "needs your review" if task.status == Status.WAITING else "failed"
            self.tray.notify(f"Task {verb}", task.display_title())

    def _control(self, line: str) -> str:
        command, _, arg = line.partition(" ")
        if command == "show":
            self.show(arg or None)
            return "ok"
        if command == "menu":  # what clicking a tray menu item does
            for item in self.tray.menu.items:
                if str(item.text) == arg:
                    item(self.tray.icon)
                    return "ok"
            return f"no menu item {arg!r}"
        if command == "status":
            window = self.window
            return json.dumps(
                {
                    "url": self.server.url,
                    "server": self.server.alive,
                    "tray": self.tray.state,
                    "tray_visible": bool(self.tray.icon.visible),
                    "menu": [str(item.text) for item in self.tray.menu.items],
                    "status": self.status(),
                    "notifications": self.tray.notifications,
                    "window_visible": bool(window and window.visible),
                    "board_ready": bool(window and window.board_ready()),
                }
            )
        served = self.server.served  # sign-in links, repositories
        return (served.answer(line) if served else None) or "unknown command"
