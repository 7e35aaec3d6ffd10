"""Opening a folder or a URL the way each OS does it (the old app did nothing on Windows)."""

from __future__ import annotations

import os
import subprocess
import sys


def has_display() -> bool:
    """Whether a browser could open here: always on macOS and Windows; on other
    systems only within an X11 or Wayland session (not over plain SSH)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_with_os(target: str) -> None:
    if sys.platform == "win32":
        os.startfile(target)  # type: ignore[attr-defined]
    elif sys.platform == "darwin":
        subprocess.Popen(["open", target])
    else:
        subprocess.Popen(["xdg-open", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
