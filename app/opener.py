"""Opening a folder or a URL the way each OS does it (the old app did nothing on Windows)."""

from __future__ import annotations

import os
import subprocess
import sys


def open_with_os(target: str) -> None:
    if sys.platform == "win32":
        os.startfile(target)  # type: ignore[attr-defined]
    elif sys.platform == "darwin":
        subprocess.Popen(["open", target])
    else:
        subprocess.Popen(["xdg-open", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
