"""The native window (pywebview) showing the board, in a process of its own.

A web view can end its whole process (Qt's refuses to run as root with its
sandbox on, and calls exit()), so ``run_child`` runs it in a child of the app
(see ``window_process``), which it tells "shown", "hidden", "ready" and
"quit" on stdout, and which sends it "show [task-id]" and "destroy" on stdin.
Closing the window hides it while a tray icon can bring it back; without one,
it asks, then quits the app.

pywebview is imported here only. On Linux the system WebKitGTK is used when
its Python bindings are present, Qt otherwise; macOS and Windows use their
native web views.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)
DEFAULT = {"width": 1280, "height": 820}


def backend() -> Literal["gtk", "qt"] | None:
    if not sys.platform.startswith("linux"):
        return None  # pywebview's native choice: Cocoa WKWebView, EdgeChromium
    try:
        import gi

        gi.require_version("WebKit2", "4.1")
        from gi.repository import WebKit2  # noqa: F401
    except (ImportError, ValueError):
        return "qt"
    return "gtk"


class JsApi:
    """What the page may ask of the shell: only a folder picker."""

    def __init__(self) -> None:
        self.window: Any = None

    def pick_folder(self) -> str | None:
        import webview

        chosen = self.window.create_file_dialog(webview.FileDialog.FOLDER)
        return str(chosen[0]) if chosen else None


def tell(event: str) -> None:
    print(event, flush=True)


class Window:
    def __init__(self, url: str, geometry_file: Path, tray: bool = True) -> None:
        import webview

        self.tray = tray
        self.geometry_file = geometry_file
        self.geometry = {**DEFAULT, **self._saved()}
        self.quitting = False
        self.visible = True
        api = JsApi()
        created = webview.create_window(
            "Wallfacer",
            url,
            js_api=api,
            width=self.geometry["width"],
            height=self.geometry["height"],
            x=self.geometry.get("x"),
            y=self.geometry.get("y"),
            min_size=(820, 520),
        )
        assert created is not None
        self.win: Any = created
        api.window = self.win
        self.win.events.closing += self._closing
        self.win.events.resized += self._resized
        self.win.events.moved += self._moved

    def run(self) -> None:
        """Blocks on the GUI loop (main thread) until ``destroy``."""
        import webview

        if sys.platform == "darwin":
            _reopen_from_dock(self.show)
        webview.start(gui=backend(), private_mode=True)

    def show(self, task_id: str | None = None) -> None:
        self.win.show()
        self.win.restore()
        self.visible = True
        tell("shown")
        if task_id:
            self.win.evaluate_js(f"location.hash = {json.dumps('task=' + task_id)}")

    def destroy(self) -> None:
        self.quitting = True
        self.win.destroy()

    def _closing(self) -> bool:
        if self.quitting:
            return True
        if self.tray:
            self.win.hide()  # the tray stays; tasks keep running
            self.visible = False
            tell("hidden")
        else:  # hidden, nothing could bring it back: ask, off the GUI thread the dialog needs
            threading.Thread(target=self._ask_to_quit, daemon=True).start()
        return False

    def _ask_to_quit(self) -> None:
        if self.win.create_confirmation_dialog(
            "Quit Wallfacer?",
            "There is no tray icon to bring this window back. Quitting stops the board; "
            "running tasks keep running and are picked up at the next start.",
        ):
            tell("quit")

    def board_ready(self) -> bool:
        """Whether the board has loaded and rendered (asked of the page itself)."""
        try:
            return bool(self.win.evaluate_js("document.body.dataset.ready === '1'"))
        except Exception:  # the page is still loading
            return False

    def _resized(self, width: int, height: int) -> None:
        self.geometry.update(width=width, height=height)
        self._save()

    def _moved(self, x: int, y: int) -> None:
        self.geometry.update(x=x, y=y)
        self._save()

    def _saved(self) -> dict[str, int]:
        try:
            data = json.loads(self.geometry_file.read_text())
        except (OSError, ValueError):
            return {}
        return {k: int(v) for k, v in data.items() if k in ("width", "height", "x", "y")}

    def _save(self) -> None:
        try:
            self.geometry_file.write_text(json.dumps(self.geometry))
        except OSError as exc:
            log.warning("could not remember the window's place: %s", exc)


def run_child(url: str, geometry_file: str, tray: str) -> int:
    """The window process: the window, commands on stdin, and "ready" once the board is."""
    window = Window(url, Path(geometry_file), tray == "tray")

    def commands() -> None:
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "show":
                window.show(arg or None)
            elif command == "destroy":
                break
        window.destroy()  # also when the app has gone away (stdin closed)

    def until_ready() -> None:
        while not window.board_ready():
            time.sleep(0.2)
        tell("ready")

    window.win.events.loaded += lambda: threading.Thread(target=until_ready, daemon=True).start()
    threading.Thread(target=commands, name="wallfacer-window-commands", daemon=True).start()
    window.run()
    return 0


def _reopen_from_dock(show: Any) -> None:
    """macOS: clicking the Dock icon shows the hidden window again.

    pywebview's application delegate has no hook for this, so the delegate
    class gets the standard NSApplicationDelegate method added (PyObjC).
    """
    import objc
    from webview.platforms.cocoa import BrowserView

    def applicationShouldHandleReopen_hasVisibleWindows_(
        self: Any, app: Any, visible: bool
    ) -> bool:
        show()
        return True

    objc.classAddMethods(
        BrowserView.AppDelegate,
        [objc.selector(applicationShouldHandleReopen_hasVisibleWindows_, signature=b"Z@:@Z")],
    )
