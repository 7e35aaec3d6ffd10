"""One Wallfacer per data dir: two servers on one store would fight over
worktrees and containers. The lock is an OS file lock, released by the kernel
even after a kill -9, so a crash never leaves a stale lock behind. A second
desktop launch hands over to the first through a control socket instead."""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType


class InUse(Exception):
    pass


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "wallfacer.lock"
        self._fd: int | None = None

    def __enter__(self) -> DataDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            raise InUse(f"another Wallfacer is using {self.path.parent}; stop it first") from exc
        self._fd = fd
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


def _lock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


class ControlServer:
    """A local socket through which a second launch asks the running one to act.

    One line in, one line out: ``show [task-id]`` brings the window forward;
    ``status`` answers with a line of JSON. Only the user can reach it: it is
    a Unix socket in the user's runtime dir, made private before it listens.
    """

    def __init__(self, path: Path, handle: Callable[[str], str]) -> None:
        self.path = path
        self.handle = handle
        self._sock: socket.socket | None = None

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path.unlink(missing_ok=True)  # a stale socket: its owner holds no lock any more
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        sock.listen(4)
        self._sock = sock
        threading.Thread(target=self._serve, name="wallfacer-control", daemon=True).start()

    def _serve(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            with conn:
                conn.settimeout(5)
                try:
                    line = conn.makefile().readline().strip()
                    conn.sendall((self.handle(line) + "\n").encode())
                except (OSError, ValueError):
                    continue

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self.path.unlink(missing_ok=True)


def send_control(path: Path, line: str, timeout: float = 3.0) -> str | None:
    """The running instance's answer, or None when no instance listens."""
    if not hasattr(socket, "AF_UNIX") or not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall((line + "\n").encode())
            return sock.makefile().readline().strip()
    except OSError:
        return None
