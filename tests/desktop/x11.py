"""What a desktop does to the app's windows, done over X11 as a person's desktop would:
owning the tray's selection (a tray host), asking a window to close, and keys.

Xvfb has no window manager, so top-level windows are the root's children, and
the close button's effect is the WM_DELETE_WINDOW message a window manager sends.
python-xlib is imported here only, in tests that have the gui extra (pystray needs it).
"""

from __future__ import annotations

from typing import Any

from Xlib import XK, X, display, error, protocol
from Xlib.ext import xtest


class X11:
    def __init__(self, name: str) -> None:
        self.display = display.Display(name)
        self.root = self.display.screen().root

    def claim_tray(self) -> None:
        """Become the tray host: the owner of ``_NET_SYSTEM_TRAY_S0``, while this is open."""
        owner = self.root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        selection = self.display.intern_atom("_NET_SYSTEM_TRAY_S0")  # Xvfb's only screen
        owner.set_selection_owner(selection, X.CurrentTime)
        self.display.sync()
        assert self.display.get_selection_owner(selection) == owner

    def shown(self, title: str) -> Any | None:
        """The mapped top-level window with this title, if there is one."""
        net_name = self.display.intern_atom("_NET_WM_NAME")
        for window in self.root.query_tree().children:
            try:
                named = window.get_full_text_property(net_name) or window.get_wm_name()
                if named == title and window.get_attributes().map_state == X.IsViewable:
                    return window
            except error.BadWindow:  # destroyed since the listing
                continue
        return None

    def close(self, window: Any | None) -> None:
        """What a window's close button does: WM_DELETE_WINDOW, sent by the window manager."""
        assert window is not None, "no such window is shown"
        protocols = self.display.intern_atom("WM_PROTOCOLS")
        delete = self.display.intern_atom("WM_DELETE_WINDOW")
        message = protocol.event.ClientMessage(
            window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        window.send_event(message, event_mask=X.NoEventMask)
        self.display.sync()

    def press(self, window: Any, key: str) -> None:
        """A key pressed in this window (given the focus first: there is no window manager to)."""
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        code = self.display.keysym_to_keycode(XK.string_to_keysym(key))
        xtest.fake_input(self.display, X.KeyPress, code)
        xtest.fake_input(self.display, X.KeyRelease, code)
        self.display.sync()

    def disconnect(self) -> None:
        self.display.close()
