"""Desktop mode: the server on a thread, a tray icon, the board in a native window.

A second launch finds the first through its control socket, asks it to show
its window, and exits 0. Quit stops the server and leaves task containers
running, for the next start to reattach to.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from app.handover import control_path, hand_over, start_control
from app.instance import DataDirLock, InUse, send_control
from app.opener import open_with_os
from app.server_thread import ServerThread
from app.window_process import WindowProcess
from server.model import Task
from server.settings import Settings
from server.states import NEEDS_YOU, RUNNING, Status

if TYPE_CHECKING:
    from app.tray import Tray

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
    """Serves whatever becomes of the tray and the window: either may fail to
    start or die, and the board is then opened in the browser instead."""

    def __init__(self, settings: Settings, sock: Path) -> None:
        self.settings = settings
        self.sock = sock
        self.counts: dict[str, int] = {}
        self.server = ServerThread(settings, on_change=self._changed)
        self.tray = self._make_tray()
        self.window: WindowProcess | None = None
        self.last_task = ""
        # As of the last look (the start, the tray's own toggle): menus cannot
        # wait for the server while they are drawn.
        self.autopilot = False
        self.done = threading.Event()

    def _make_tray(self) -> Tray | None:
        try:
            from app.tray import Tray

            return Tray(
                resources() / "assets" / "icons",
                self.show,
                self.quit,
                self.status,
                {
                    "Open in Browser": self.browse,
                    "Open Data Folder": lambda: open_with_os(str(self.settings.data_dir)),
                },
                {"Autopilot": (lambda: self.autopilot, self.toggle_autopilot)},
            )
        except Exception as exc:  # pystray fails to import in many ways without a tray
            log.warning("no tray icon (%s: %s)", type(exc).__name__, exc)
            return None

    def run(self) -> int:
        self.server.start()
        log.info("serving on %s", self.server.url)
        self.toggle_autopilot(flip=False)
        control = start_control(self.settings, self._control, self.sock)
        if self.tray is not None:
            self.tray.start()
        try:
            self.window = WindowProcess(
                self.server.new_signin_url("desktop"),
                self.settings.data_dir / "window.json",
                tray=self.tray is not None and self.tray.hosted(),
                on_quit=self.quit,
                on_failed=self._window_failed,
            )
        except OSError as exc:
            self._window_failed(str(exc))
        try:
            while not self.done.wait(0.5):  # a timeout, so that Ctrl-C gets through
                pass
        except KeyboardInterrupt:
            pass
        finally:
            started = time.monotonic()
            if self.window is not None:
                self.window.destroy()
            if control is not None:
                control.close()
            if self.tray is not None:
                self.tray.stop()
            self.server.stop()
            log.info(
                "quit in %.1f s; task containers keep running and are reattached next start",
                time.monotonic() - started,
            )
        return 0

    def _window_failed(self, why: object) -> None:
        self.window = None
        log.warning("the window could not run (%s); opening the board in the browser", why)
        quit_with = "its tray menu's Quit" if self.tray is not None else "Ctrl-C"
        print(
            f"Wallfacer is serving on {self.server.url} without its window; the board opens in "
            f"your browser (`wallfacer open` gives a new link; {quit_with} stops it).",
            flush=True,
        )
        self.browse()

    def toggle_autopilot(self, flip: bool = True) -> None:
        """Flip the setting as the server has it now (the header may have changed it)."""
        served = self.server.served
        assert served is not None
        try:
            now = served.autopilot()
            self.autopilot = served.autopilot(not now) if flip else now
        except (OSError, ValueError) as exc:
            log.warning("could not reach the autopilot setting: %s", exc)
        if self.tray is not None:
            self.tray.icon.update_menu()

    def browse(self) -> None:
        open_with_os(self.server.new_signin_url("browser"))

    def status(self) -> str:
        running = sum(self.counts.get(s, 0) for s in RUNNING)
        waiting = self.counts.get(Status.WAITING, 0)
        return f"{running} running · {waiting} waiting"

    def show(self, task_id: str | None = None) -> None:
        if self.window is None:
            self.browse()
            return
        self.window.show(task_id or self.last_task or None)
        self.last_task = ""

    def quit(self) -> None:
        log.info("quit requested")
        self.done.set()

    def _changed(self, task: Task, counts: dict[str, int]) -> None:
        """On the server's loop: update the icon, and tell the user when they are needed."""
        self.counts = counts
        attention = any(counts.get(s, 0) for s in NEEDS_YOU)
        running = any(counts.get(s, 0) for s in RUNNING)
        tray = self.tray
        if tray is not None:
            tray.set_state("attention" if attention else "running" if running else "idle")
        if task.status in NEEDS_YOU:
            self.last_task = task.id  # Open Dashboard now opens this task
            verb = "needs your review" if task.status == Status.WAITING else "failed"
            if tray is not None:
                tray.notify(f"Task {verb}", task.display_title())

    def _control(self, line: str) -> str:
        command, _, arg = line.partition(" ")
        if command == "show":
            self.show(arg or None)
            return "ok"
        tray = self.tray
        if command == "menu" and tray is not None:  # what clicking a tray menu item does
            for item in tray.menu.items:
                if str(item.text) == arg:
                    item(tray.icon)
                    return "ok"
            return f"no menu item {arg!r}"
        if command == "quit":
            self.quit()
            return "ok"
        if command == "status":
            window = self.window
            return json.dumps(
                {
                    "url": self.server.url,
                    "server": self.server.alive,
                    "tray": tray.state if tray else None,
                    "tray_visible": bool(tray and tray.icon.visible),
                    "tray_hosted": bool(tray and tray.hosted()),
                    "menu": [str(item.text) for item in tray.menu.items] if tray else [],
                    "checked": [str(i.text) for i in tray.menu.items if i.checked] if tray else [],
                    "status": self.status(),
                    "notifications": tray.notifications if tray else [],
                    "window": bool(window and window.alive),
                    "window_visible": bool(window and window.visible),
                    "board_ready": bool(window and window.ready),
                }
            )
        served = self.server.served  # sign-in links, repositories
        return (served.answer(line) if served else None) or "unknown command"
