"""Writing into a workspace an agent has had: files from a tree, and a new git dir.

After a container ran, any name in the workspace may be a link planted to lead
the host elsewhere, so the host writes the way ``workspaces`` reads: through
directory descriptors, one name at a time, never following a link; a link or
a file where a folder is wanted is refused. A file is written under a
temporary name and renamed into place. What is made is given to the
workspace's owner (the container's user) when the host runs as root.

The workspace's own ``.git`` is never opened: it is moved aside whole and
replaced by one the host builds beside it.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pygit2
from pygit2.enums import FileMode, ObjectType

from runner import trees, workspaces
from runner.errors import WorkspaceRefused

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_STAGING = "git.new"
_OLD = "git.old"


def apply(
    ws: workspaces.Workspace, repo: pygit2.Repository, old: pygit2.Tree, new: pygit2.Tree
) -> list[str]:
    """Make the workspace's files where ``old`` and ``new`` differ as ``new`` has them;
    the paths written or removed. Removals go first, so a file can become a folder."""
    paths = {p for d in old.diff_to_tree(new).deltas for p in (d.old_file.path, d.new_file.path)}
    wanted = sorted(p for p in paths if p in new and new[p].type != ObjectType.TREE)
    gone = sorted(paths - set(wanted))  # a file that became a folder goes too
    with _top(ws.path) as (top, owner):
        for path in gone:
            _remove(top, path)
        for path in wanted:
            entry = new[path]
            if entry.filemode == FileMode.COMMIT:
                continue  # a submodule is not checked out in a workspace
            write(top, path, entry.filemode, repo[entry.id].peel(pygit2.Blob).data, owner)
    return sorted({*gone, *wanted})


def replace_git(ws: workspaces.Workspace, commit: pygit2.Commit) -> None:
    """The workspace's git dir made anew at ``commit``: the agent's history there
    goes, and ``git status`` inside shows the task's change on its new base."""
    staging = ws.root / _STAGING
    old = ws.root / _OLD
    for leftover in (staging, old):
        trees.remove(leftover)
    fresh = workspaces.init(staging, ws.objects, ws.branch, commit)
    fresh.index.read_tree(commit.tree)  # main's files: the change shows as the agent's edits
    fresh.index.write()
    fresh.free()
    with _top(ws.path) as (top, owner):
        trees.give(staging, owner)
        root = os.open(ws.root, _DIR_FLAGS)
        try:
            # Gone (the agent removed it): the new one takes its place all the same.
            with suppress(FileNotFoundError):
                os.rename(".git", _OLD, src_dir_fd=top, dst_dir_fd=root)
            staged = os.open(_STAGING, _DIR_FLAGS, dir_fd=root)
            try:
                os.rename(".git", ".git", src_dir_fd=staged, dst_dir_fd=top)
            finally:
                os.close(staged)
        finally:
            os.close(root)
    if old.is_dir() and not old.is_symlink():
        trees.remove(old)
    elif old.is_symlink() or old.exists():
        old.unlink()  # a link (never followed) or a file the agent left as .git
    shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def _top(path: Path) -> Iterator[tuple[int, tuple[int, int] | None]]:
    """The workspace's folder, and whom to give new entries (None: not root)."""
    try:
        top = os.open(path, _DIR_FLAGS)
    except OSError as exc:
        raise WorkspaceRefused(f"the task's workspace cannot be written: {exc}") from exc
    try:
        info = os.fstat(top)
        yield top, (info.st_uid, info.st_gid) if os.geteuid() == 0 else None
    finally:
        os.close(top)


def folder(top: int, path: str, owner: tuple[int, int] | None, make: bool) -> int | None:
    """A descriptor of the folder holding ``path`` (made when ``make``); None if
    it does not exist and ``make`` is false."""
    fd = os.dup(top)
    try:
        for name in path.split("/")[:-1]:
            try:
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not make:
                    os.close(fd)
                    return None
                os.mkdir(name, 0o755, dir_fd=fd)
                _give(fd, name, owner)
                sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = sub
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise WorkspaceRefused(f"{path} lies under a link or a file in the workspace") from exc
        raise
    return fd


def _remove(top: int, path: str) -> None:
    fd = folder(top, path, None, make=False)
    if fd is None:
        return
    try:
        os.unlink(path.rsplit("/", 1)[-1], dir_fd=fd)
    except FileNotFoundError:
        pass
    except IsADirectoryError as exc:
        raise WorkspaceRefused(f"{path} is a folder in the workspace, not a file") from exc
    finally:
        os.close(fd)


def write(top: int, path: str, mode: int, data: bytes, owner: tuple[int, int] | None) -> None:
    fd = folder(top, path, owner, make=True)
    assert fd is not None
    name = path.rsplit("/", 1)[-1]
    temp = f".wallfacer-{secrets.token_hex(6)}"
    try:
        if mode == FileMode.LINK:
            os.symlink(os.fsdecode(data), temp, dir_fd=fd)
        else:
            perms = 0o755 if mode == FileMode.BLOB_EXECUTABLE else 0o644
            out = os.open(temp, _NEW_FILE, perms, dir_fd=fd)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view) :]
            finally:
                os.close(out)
        _give(fd, temp, owner)
        try:
            _rename(fd, temp, name)
        except OSError as exc:
            os.unlink(temp, dir_fd=fd)
            raise WorkspaceRefused(f"{path} cannot be written in the workspace: {exc}") from exc
    finally:
        os.close(fd)


def _rename(fd: int, temp: str, name: str) -> None:
    """Put ``temp`` in ``name``'s place: a link there is replaced, never followed; an
    empty folder there (a file's, removed first) gives way."""
    try:
        os.rename(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except IsADirectoryError:
        os.rmdir(name, dir_fd=fd)
        os.rename(temp, name, src_dir_fd=fd, dst_dir_fd=fd)


def _give(fd: int, name: str, owner: tuple[int, int] | None) -> None:
    if owner is not None:
        os.chown(name, *owner, dir_fd=fd, follow_symlinks=False)
