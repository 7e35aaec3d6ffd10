"""Bind-mount sources as the engine sees them, when Wallfacer itself runs in a container.

A sibling container's bind mounts are resolved on the host, not inside our
container. So when the server runs in a container, each path it wants to
mount (a worktree, a repo's .git) is translated through our own container's
mounts, read from the engine by inspecting ourselves: no hand-kept variable
can drift from the truth.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path, PurePosixPath
from typing import Any

from runner.errors import RunnerError

_CONTAINER_ID = re.compile(r"/containers/([0-9a-f]{64})/")


class HostPaths:
    def __init__(self, mounts: list[tuple[str, str]] | None = None) -> None:
        """``mounts`` are (path inside us, path on the host); None: we are not in a container."""
        self._mounts = sorted(mounts or [], key=lambda m: len(m[0]), reverse=True)
        self.in_container = mounts is not None

    @classmethod
    def detect(cls, api: Any) -> HostPaths:
        """Inspect our own container through the engine; identity when not in one."""
        own = _own_container_id()
        if own is None:
            return cls()
        try:
            info = api.inspect_container(own)
        except Exception:  # not a container this engine knows: treat paths as host paths
            return cls()
        mounts = [(m["Destination"], m["Source"]) for m in info.get("Mounts", [])]
        return cls(mounts)

    def translate(self, path: Path) -> str:
        if not self.in_container:
            return str(path)
        target = PurePosixPath(path)
        for inside, host in self._mounts:
            try:
                rest = target.relative_to(inside)
            except ValueError:
                continue
            return str(PurePosixPath(host) / rest)
        raise RunnerError(
            f"{path} is inside the server's container, so task containers cannot mount it; "
            "put repositories and the data dir on volumes or bind mounts"
        )


def _own_container_id() -> str | None:
    if not (Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()):
        return None
    try:
        found = _CONTAINER_ID.search(Path("/proc/self/mountinfo").read_text())
    except OSError:
        found = None
    return found.group(1) if found else socket.gethostname()
