"""A run's files shipped to a remote node and back, as tars, instead of mounted.

On a remote backend (``runner.swarm``) no host path reaches the container.
What a local run mounts travels instead: its workspaces, its home, the
wrapper's steps and the files given to read go in as one tar, which the
container's ship wrapper (``ship.sh``) fetches from the app and unpacks at
``/``; at the end it sends back ``workspace/`` and its home the same way (in
base64: busybox's ``wget`` posts a file as text).

What comes back is the agent's, so it is read as ``workspaces`` reads a local
workspace: member by member, written through directory descriptors with
``writeback`` (no link followed, a link kept as a link), special files and
hard links refused, sizes and counts capped, every ``.git`` dropped. It is
unpacked beside the task's folders and swapped in whole only once all of it
was accepted; the workspace keeps the ``.git`` the host made.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import stat
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from pygit2.enums import FileMode

from runner import boot, shallow, trees, writeback
from runner.errors import WorkspaceRefused
from runner.homes import HOME
from runner.runspec import WORKSPACE, Extra, RunSpec
from runner.workspaces import DIR_FLAGS, MAX_DEPTH, MAX_ENTRIES, MAX_FILE_BYTES, MAX_TOTAL_BYTES

SCRIPT = Path(__file__).with_name("ship.sh").read_text()
# What comes back is a tar in base64 (see ship.sh); a tar's overhead over the
# files it holds (headers, padding) is below 512 MB.
MAX_UPLOAD_BYTES = (MAX_TOTAL_BYTES + 512 * 1024 * 1024) * 4 // 3 + 1024 * 1024
_HOME = HOME.lstrip("/")
_WORKSPACE = WORKSPACE.lstrip("/")


@dataclass(frozen=True)
class Plan:
    """Where a run's files live on the host: all a fetch or an upload needs, small
    enough for the service's labels, so a run outlives the app that started it."""

    workspaces: dict[str, str]  # name under /workspace -> host folder
    objects: dict[str, str]  # name -> its user repository's objects (``shallow``)
    task_id: str
    home: str
    boot: str | None
    readonly: list[tuple[str, str]]  # (host path, container path)
    workspace_readonly: bool

    @classmethod
    def of(cls, spec: RunSpec) -> Plan:
        each = [Extra(spec.workspace, spec.repo_name, spec.objects), *spec.also]
        return cls(
            {extra.name: str(extra.workspace) for extra in each},
            {extra.name: str(extra.objects) for extra in each},
            spec.task_id,
            str(spec.home),
            str(spec.boot) if spec.boot else None,
            [(str(source), target) for source, target in spec.readonly],
            spec.workspace_readonly,
        )

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Plan:
        data = json.loads(text)
        data["readonly"] = [tuple(pair) for pair in data["readonly"]]
        return cls(**data)


def pack(plan: Plan, out: IO[bytes]) -> None:
    """The tar the container unpacks at ``/``: every workspace, with a shallow
    ``.git`` in place of its own (``shallow``), the home, the steps and the files to
    read. Folders are written as the host has them; links are stored, never followed."""
    with tarfile.open(fileobj=out, mode="w|") as tar:
        for name, folder in plan.workspaces.items():
            _add_tree(tar, Path(folder), f"{_WORKSPACE}/{name}", skip_git=True)
            shallow.add(tar, Path(plan.objects[name]), plan.task_id, f"{_WORKSPACE}/{name}")
        _add_tree(tar, Path(plan.home), _HOME, skip_git=False)
        if plan.boot:
            _add_tree(tar, Path(plan.boot), boot.BOOT.lstrip("/"), skip_git=False)
        for source, target in plan.readonly:
            path = Path(source)
            if path.is_dir():
                _add_tree(tar, path, target.lstrip("/"), skip_git=False)
            else:
                tar.add(path, target.lstrip("/"), recursive=False)


def _add_tree(tar: tarfile.TarFile, root: Path, arcname: str, skip_git: bool) -> None:
    """``root``'s entries under ``arcname``, not the folder itself: the container has
    its mount point there already, owned by someone else."""
    for path in sorted(root.iterdir()):
        if skip_git and path.name == ".git":
            continue
        info = path.lstat()
        if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode) or path.is_symlink()):
            continue
        tar.add(path, f"{arcname}/{path.name}", recursive=False)
        if stat.S_ISDIR(info.st_mode):
            _add_tree(tar, path, f"{arcname}/{path.name}", skip_git)


class Decoded(io.RawIOBase):
    """A base64 stream (lines of any length) read as the bytes it encodes."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.ready = b""
        self.rest = b""  # a tail shorter than a 4-character group

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.ready:
            chunk = self.source.read(256 * 1024)
            if not chunk:
                if self.rest:
                    raise WorkspaceRefused("what the run sent back is cut short")
                return 0
            data = self.rest + b"".join(chunk.split())
            whole = len(data) - len(data) % 4
            self.rest = data[whole:]
            try:
                self.ready = base64.b64decode(data[:whole], validate=True)
            except binascii.Error as exc:
                raise WorkspaceRefused(f"what the run sent back is not base64: {exc}") from exc
        size = min(len(buffer), len(self.ready))
        buffer[:size] = self.ready[:size]
        self.ready = self.ready[size:]
        return size


def unpack(plan: Plan, stream: IO[bytes]) -> None:
    """Take in what a run sent back (see the module's docstring); raises
    ``WorkspaceRefused`` with the reason, and then nothing of it is kept."""
    targets = {} if plan.workspace_readonly else dict(plan.workspaces)
    roots = {f"{_WORKSPACE}/{name}": Path(path) for name, path in targets.items()}
    roots[_HOME] = Path(plan.home)
    staged = {prefix: _fresh(path.with_name(path.name + ".in")) for prefix, path in roots.items()}
    try:
        tops = {prefix: os.open(path, DIR_FLAGS) for prefix, path in staged.items()}
        try:
            _extract(stream, tops)
        finally:
            for fd in tops.values():
                os.close(fd)
    except BaseException:
        for path in staged.values():
            trees.remove(path)
        raise
    for prefix, path in staged.items():
        _swap(path, roots[prefix], keep_git=prefix != _HOME)


def _fresh(path: Path) -> Path:
    trees.remove(path)
    path.mkdir(parents=True)
    return path


def _extract(stream: IO[bytes], tops: dict[str, int]) -> None:
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            _members(tar, tops)
    except (tarfile.TarError, EOFError) as exc:
        raise WorkspaceRefused(f"what the run sent back is not a whole tar: {exc}") from exc


def _members(tar: tarfile.TarFile, tops: dict[str, int]) -> None:
    total = entries = 0
    for member in tar:
        entries += 1
        if entries > MAX_ENTRIES:
            raise WorkspaceRefused(f"the run sent back more than {MAX_ENTRIES} files")
        found = _place(member.name, tops)
        if found is None:
            continue
        top, path = found
        if member.isdir():
            fd = writeback.folder(top, path + "/.", None, make=True)
            if fd is not None:
                os.close(fd)
        elif member.issym():
            writeback.write(top, path, FileMode.LINK, os.fsencode(member.linkname), None)
        elif member.isreg():
            if member.size > MAX_FILE_BYTES:
                raise WorkspaceRefused(
                    f"{path} is {member.size} bytes; files over {MAX_FILE_BYTES} are refused"
                )
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise WorkspaceRefused(f"the run sent back more than {MAX_TOTAL_BYTES} bytes")
            data = _read(tar, member)
            mode = FileMode.BLOB_EXECUTABLE if member.mode & 0o100 else FileMode.BLOB
            writeback.write(top, path, mode, data, None)
        else:
            raise WorkspaceRefused(
                f"{path} is a special file or a hard link; ask the agent to remove it"
            )


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    reader = tar.extractfile(member)
    assert reader is not None  # a regular file
    return reader.read()


def _place(name: str, tops: dict[str, int]) -> tuple[int, str] | None:
    """The staged folder and relative path a member goes to; None for what no
    folder takes (``.git`` anywhere, what lies outside them, the folders themselves)."""
    parts = PurePosixPath(name.lstrip("/")).parts
    if ".." in parts or any(part.lower() == ".git" for part in parts):
        return None
    if len(parts) > MAX_DEPTH:
        raise WorkspaceRefused(f"{name} is nested deeper than {MAX_DEPTH} folders")
    for prefix, top in tops.items():
        depth = len(PurePosixPath(prefix).parts)
        if tuple(parts[:depth]) == PurePosixPath(prefix).parts and len(parts) > depth:
            return top, "/".join(parts[depth:])
    return None


def _swap(staged: Path, target: Path, keep_git: bool) -> None:
    """``staged`` in ``target``'s place, with ``target``'s own ``.git`` when kept."""
    old = target.with_name(target.name + ".old")
    trees.remove(old)
    if keep_git and (target / ".git").is_dir():
        (target / ".git").rename(staged / ".git")
    if target.exists():
        target.rename(old)
    staged.rename(target)
    trees.remove(old)
