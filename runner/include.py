"""``.worktreeinclude``: the git-ignored files (``.env`` and the like) a new workspace
gets copied from the user's checkout, which a checkout of the tree cannot give it.

The file sits at the repository's top and holds gitignore-style globs. A
file is copied when the globs include it, the user's repository ignores it
and the tree does not track it. Nothing outside the repository is ever
reached: a glob with a ``..`` segment is refused, the checkout is walked
through directory descriptors (a link, to a folder or a file, is never
followed; only regular files are copied) and sizes are capped. Copies go
into a workspace no container has run in yet, through descriptors too.
Each refusal or skip comes back as a sentence for the task's log.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import pygit2

from runner.workspaces import DIR_FLAGS, FILE_FLAGS, closing

NAME = ".worktreeinclude"
MAX_RULES_BYTES = 64 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_FILES = 1000
MAX_VISITED = 100_000  # entries of the checkout looked at, before the walk gives up
MAX_DEEP_GLOBS = 2  # "**" per glob: each one multiplies the matching work
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Rule:
    parts: tuple[str, ...]  # segments from the repository's top; "**" spans any number
    negated: bool
    folders_only: bool


def read_text(dir_fd: int, name: str, limit: int) -> str:
    """A regular file's text (its first ``limit`` bytes), never through a link; "" if
    there is none."""
    try:
        with closing(os.open(name, FILE_FLAGS, dir_fd=dir_fd)) as fd:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return ""
            return os.read(fd, limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def rules_of(checkout: Path) -> str:
    """The checkout's ``.worktreeinclude`` text ("" when it has none)."""
    with closing(os.open(checkout, DIR_FLAGS)) as top:
        return read_text(top, NAME, MAX_RULES_BYTES)


def parse(text: str) -> tuple[list[Rule], list[str]]:
    """The usable rules, and a sentence for each glob refused."""
    rules, refused = [], []
    for raw in text.splitlines():
        glob = raw.strip()
        if not glob or glob.startswith("#"):
            continue
        negated = glob.startswith("!")
        body = glob[1:] if negated else glob
        folders_only = body.endswith("/")
        body = body.rstrip("/")
        anchored = "/" in body  # as in .gitignore: else it matches at any depth
        parts = tuple(p for p in body.split("/") if p)
        if ".." in parts:
            refused.append(f"{NAME}: {glob!r} reaches outside the repository; ignored")
            continue
        if not parts or parts.count("**") > MAX_DEEP_GLOBS:
            refused.append(f"{NAME}: {glob!r} is not a glob this can match; ignored")
            continue
        rules.append(Rule(parts if anchored else ("**", *parts), negated, folders_only))
    return rules, refused


def _match(parts: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not parts:
        return not path
    if parts[0] == "**":
        return any(_match(parts[1:], path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatchcase(path[0], parts[0]) and _match(parts[1:], path[1:])


def _may_hold(parts: tuple[str, ...], folder: tuple[str, ...]) -> bool:
    """Whether something below ``folder`` may match (cheaply: never wrongly False)."""
    for i, name in enumerate(folder):
        if i >= len(parts) or parts[i] == "**":
            return True
        if not fnmatchcase(name, parts[i]):
            return False
    return True


def _decide(rules: list[Rule], path: tuple[str, ...], is_dir: bool, inherited: bool) -> bool:
    """Included or not: the last rule that matches decides, else the folder's state."""
    for rule in reversed(rules):
        if (is_dir or not rule.folders_only) and _match(rule.parts, path):
            return not rule.negated
    return inherited


def copy(
    checkout: Path,
    user: pygit2.Repository,
    tree: pygit2.Tree,
    workspace: Path,
    text: str,
    owner: tuple[int, int] | None,
) -> list[str]:
    """Copy what ``text`` (the ``.worktreeinclude``) includes into a new workspace;
    return what the task's log should say about it."""
    rules, notes = parse(text)
    if not rules:
        return notes
    copier = _Copier(user, tree, workspace, owner, notes)
    top: tuple[str, ...] = ()
    pending = deque([(top, False)])  # folders to look in, and whether the globs include them
    visited = 0
    with closing(os.open(checkout, DIR_FLAGS)) as top_fd:
        while pending:  # breadth first: the files near the top first, should the walk stop
            folder, included = pending.popleft()
            try:
                dir_fd = _open_folder(top_fd, folder)
                names = sorted(os.listdir(dir_fd))
            except OSError as exc:
                notes.append(f"{NAME}: could not read {'/'.join(folder)}: {exc.strerror}")
                continue
            with closing(dir_fd):
                for name in names:
                    visited += 1
                    if visited > MAX_VISITED:
                        notes.append(f"{NAME}: stopped looking after {MAX_VISITED} entries")
                        return notes
                    path = (*folder, name)
                    try:
                        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                    except OSError:  # gone meanwhile
                        continue
                    is_dir = stat.S_ISDIR(info.st_mode)
                    wanted = _decide(rules, path, is_dir, included)
                    if not is_dir:
                        if wanted:
                            copier.take(dir_fd, name, "/".join(path), info)
                    elif name != ".git" and (
                        wanted or any(not r.negated and _may_hold(r.parts, path) for r in rules)
                    ):
                        pending.append((path, wanted))
    return notes


def _open_folder(top: int, folder: tuple[str, ...]) -> int:
    """A descriptor of a folder below ``top``, opened a name at a time, no link followed
    (descriptors are not held for the queue of a breadth-first walk: there may be many)."""
    fd = os.dup(top)
    for name in folder:
        try:
            sub = os.open(name, DIR_FLAGS, dir_fd=fd)
        finally:
            os.close(fd)
        fd = sub
    return fd


class _Copier:
    def __init__(
        self,
        user: pygit2.Repository,
        tree: pygit2.Tree,
        workspace: Path,
        owner: tuple[int, int] | None,
        notes: list[str],
    ) -> None:
        self.user = user
        self.tree = tree
        self.workspace = workspace
        self.owner = owner if owner is not None and os.geteuid() == 0 else None
        self.notes = notes
        self.files = 0
        self.total = 0

    def take(self, dir_fd: int, name: str, path: str, info: os.stat_result) -> None:
        if self._tracked(path) or not self.user.path_is_ignored(path):
            return  # tracked files come from the tree; others are not the user's secrets
        if not stat.S_ISREG(info.st_mode):
            self.notes.append(f"{NAME}: {path} is not a regular file (a link?); not copied")
            return
        if info.st_size > MAX_FILE_BYTES:
            self.notes.append(f"{NAME}: {path} is over {MAX_FILE_BYTES} bytes; not copied")
            return
        if self.files >= MAX_FILES or self.total + info.st_size > MAX_TOTAL_BYTES:
            self.notes.append(
                f"{NAME}: {path} is past the cap of {MAX_FILES} files or "
                f"{MAX_TOTAL_BYTES} bytes; not copied"
            )
            return
        try:
            with closing(os.open(name, FILE_FLAGS, dir_fd=dir_fd)) as src:
                held = os.fstat(src)
                if not stat.S_ISREG(held.st_mode):
                    return
                self._write(path, src, stat.S_IMODE(held.st_mode))
        except OSError as exc:
            self.notes.append(f"{NAME}: could not copy {path}: {exc.strerror}")
            return
        self.files += 1
        self.total += info.st_size

    def _tracked(self, path: str) -> bool:
        try:
            self.tree[path]
        except KeyError:
            return False
        return True

    def _write(self, path: str, src: int, mode: int) -> None:
        *folders, name = path.split("/")
        dir_fd = os.open(self.workspace, DIR_FLAGS)
        try:
            for folder in folders:
                try:
                    os.mkdir(folder, 0o755, dir_fd=dir_fd)
                    made = True
                except FileExistsError:
                    made = False
                sub = os.open(folder, DIR_FLAGS, dir_fd=dir_fd)
                os.close(dir_fd)
                dir_fd = sub
                if made and self.owner:
                    os.fchown(dir_fd, *self.owner)
            dst = os.open(name, _WRITE_FLAGS, mode & 0o777, dir_fd=dir_fd)
            with os.fdopen(dst, "wb") as out:
                budget = MAX_FILE_BYTES  # the file may have grown since it was looked at
                while budget > 0 and (chunk := os.read(src, min(budget, 1 << 20))):
                    out.write(chunk)
                    budget -= len(chunk)
                if self.owner:
                    os.fchown(dst, *self.owner)
        finally:
            os.close(dir_fd)
