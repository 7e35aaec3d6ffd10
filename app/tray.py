"""The tray icon: Open Dashboard, a status line, check items, Quit; three states;
notifications.

pystray is imported here only, and this module only in desktop mode: pystray
fails to import without a display.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)
STATES = ("idle", "running", "attention")


class Tray:
    def __init__(
        self,
        icons: Path,
        on_open: Callable[[], None],
        on_quit: Callable[[], None],
        status: Callable[[], str],
        extras: dict[str, Callable[[], None]] | None = None,
        checks: dict[str, tuple[Callable[[], bool], Callable[[], None]]] | None = None,
    ) -> None:
        """``checks``: per label, whether the item is checked and what clicking it does."""
        import pystray

        self.images = {state: Image.open(icons / f"tray-{state}.png") for state in STATES}
        self.state = "idle"
        self.notifications: list[tuple[str, str]] = []
        self.menu = pystray.Menu(
            pystray.MenuItem("Open Dashboard", lambda _icon, _item: on_open(), default=True),
            pystray.MenuItem(lambda _item: status(), None, enabled=False),
            pystray.Menu.SEPARATOR,
            *(pystray.MenuItem(label, _menu_action(act)) for label, act in (extras or {}).items()),
            *(
                pystray.MenuItem(label, _menu_action(act), checked=_checked(is_on))
                for label, (is_on, act) in (checks or {}).items()
            ),
            pystray.MenuItem("Quit", lambda _icon, _item: on_quit()),
        )
        self.icon: Any = pystray.Icon("wallfacer", self.images["idle"], "Wallfacer", self.menu)

    def hosted(self) -> bool:
        """Whether the desktop shows tray icons; else a hidden window could never come back.

        Only X11's tray can be asked (is its manager selection owned?); the other
        backends' hosts are taken as present.
        """
        if type(self.icon).__module__ != "pystray._xorg":
            return True
        from Xlib import X, display

        shown = display.Display()
        try:
            manager = shown.intern_atom(f"_NET_SYSTEM_TRAY_S{shown.get_default_screen()}")
            return bool(shown.get_selection_owner(manager) != X.NONE)
        finally:
            shown.close()

    def start(self) -> None:
        # run() in a daemon thread: run_detached() leaves a thread that keeps us alive.
        threading.Thread(target=self.icon.run, name="wallfacer-tray", daemon=True).start()

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.icon.icon = self.images[state]
        self.icon.update_menu()

    def notify(self, title: str, message: str) -> None:
        """The OS notification; where pystray's backend has none, notify-send."""
        self.notifications.append((title, message))
        if getattr(self.icon, "HAS_NOTIFICATION", False):
            self.icon.notify(message, title)
        elif shutil.which("notify-send"):
            subprocess.Popen(["notify-send", "--app-name=Wallfacer", title, message])
        else:
            log.info("notification: %s: %s", title, message)

    def stop(self) -> None:
        self.icon.stop()


def _checked(is_on: Callable[[], bool]) -> Callable[[Any], bool]:
    def checked(_item: Any) -> bool:
        return is_on()

    return checked


def _menu_action(act: Callable[[], None]) -> Callable[[Any, Any], None]:
    """pystray checks an action's arity: give it exactly (icon, item)."""

    def action(_icon: Any, _item: Any) -> None:
        act()

    return action
