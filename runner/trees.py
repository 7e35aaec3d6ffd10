"""Folders shared with a container: handed to its user, removed whatever it left.

Both workspaces and homes are written by the host once, then by an agent that
runs as another uid (when the host is root) and may leave folders unwritable.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path


def give(top: Path, owner: tuple[int, int] | None) -> None:
    """Hand a fresh tree to the container's user; only root can, and only root needs to."""
    if owner is None or os.geteuid() != 0:
        return
    for dirpath, dirnames, filenames in os.walk(top):
        for name in (".", *dirnames, *filenames):
            os.lchown(os.path.join(dirpath, name), *owner)


def give_paths(top: Path, paths: list[str], owner: tuple[int, int] | None) -> None:
    """Hand files written into a tree already given, and the folders leading to them."""
    if owner is None or os.geteuid() != 0:
        return
    for path in paths:
        parts = Path(path).parts
        for depth in range(1, len(parts) + 1):
            name = top.joinpath(*parts[:depth])
            if os.path.lexists(name) and os.lstat(name).st_uid != owner[0]:
                os.lchown(name, *owner)


def remove(top: Path) -> None:
    """Remove a tree the agent may have made unwritable (mode 0500 folders) for its owner.

    shutil.rmtree never follows a link, so a link to the user's files is
    removed as a link.
    """

    def retry(_function: object, path: str, _exc: object) -> None:
        parent = os.path.dirname(path)
        inside = os.path.commonpath([top, parent]) == str(top)
        if not inside or os.path.islink(parent) or os.path.islink(path):
            raise OSError(f"cannot remove {path}")  # never change modes outside the tree
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path, onerror=retry)
        else:
            os.unlink(path)

    if top.exists() or top.is_symlink():
        shutil.rmtree(top, onerror=retry)
