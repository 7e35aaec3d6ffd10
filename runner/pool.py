"""Ready workspaces per repository, so that a task on a big repository starts
without a checkout of every file.

An entry is a workspace (see ``workspaces``) made before a task needs it, in
a folder per repository keyed by the user's objects dir. ``ready-*`` entries
are host-written, so the host may open them as repositories: taking one is an
atomic rename into the task's folder, then only the files that differ from the
task's base are written.

A finished task's workspace comes back as ``used-<task id>.*``. An agent
wrote it, so it is hostile and never opened as a repository: its files are
walked through directory descriptors, and a file is kept only when it is a
regular file with one link, its owner, no extended attributes, the exact mode
and the blob the tree has at its path; everything else (its .git, links,
special, untracked and ignored files, odd folders) is deleted, what is
missing is written from the tree and a fresh .git is made. Anything odd and
the entry is deleted instead. ``*.new`` (a fill a crash cut short) and
``*.gone`` (an entry being deleted) are removed by ``prune``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, FileMode

from runner import blobs, trees, workspaces
from runner.errors import RunnerError
from runner.repos import RepoInfo, open_repo

READY = "ready-"
USED = "used-"
_STAGING = ".new"
_GONE = ".gone"
BRANCH = "wallfacer-pool"  # an entry's branch until a task takes it
_FILE_MODES = {FileMode.BLOB: 0o644, FileMode.BLOB_EXECUTABLE: 0o755}
_DIR_MODE = 0o755
# A checkout of exactly the paths named (a name like "a[1]" is no pattern).
_ONLY = CheckoutStrategy.FORCE | CheckoutStrategy.DISABLE_PATHSPEC_MATCH
_HARMLESS_XATTRS = {"security.selinux"}  # set by the system on every file, not by the agent


class Unrecyclable(RunnerError):
    """A returned workspace is not what an agent's files can be: deleted, not recycled."""


class Pool:
    def __init__(self, top: Path) -> None:
        self.top = top

    def folder(self, objects: Path) -> Path:
        """The entries of the repository whose objects dir is ``objects``."""
        return self.top / hashlib.sha256(os.fsencode(objects)).hexdigest()[:16]

    def ready(self, objects: Path) -> list[Path]:
        return _named(self.folder(objects), READY)

    def used(self, objects: Path) -> list[tuple[Path, str]]:
        """Returned workspaces, each with the id of the task that used it."""
        entries = _named(self.folder(objects), USED)
        return [(p, p.name[len(USED) :].partition(".")[0]) for p in entries]

    def take(
        self, ws: workspaces.Workspace, commit: pygit2.Commit, owner: tuple[int, int] | None
    ) -> bool:
        """Move a ready entry to ``ws.path`` and onto ``commit``; False when none is left.

        The rename is the take: two takers never get one entry, and a crash
        leaves it either in the pool or the task's."""
        for entry in self.ready(ws.objects):
            try:
                entry.rename(ws.path)
            except FileNotFoundError:  # taken (or trimmed) meanwhile
                continue
            except OSError:  # e.g. the pool on another file system: check out instead
                return False
            try:
                _move(ws, commit, owner)
            except (pygit2.GitError, OSError, KeyError):
                trees.remove(ws.path)  # the caller checks out afresh
                return False
            return True
        return False

    def give_back(self, path: Path, objects: Path, task_id: str) -> None:
        """Take a finished task's workspace in, for ``recycle``: a rename, so a cancel
        never waits for the clean."""
        folder = self.folder(objects)
        folder.mkdir(parents=True, exist_ok=True)
        path.rename(folder / f"{USED}{task_id}.{uuid.uuid4().hex[:8]}")

    def fill(self, repo: RepoInfo, owner: tuple[int, int] | None) -> None:
        """One more ready entry, checked out at the head of the default branch."""
        commit = _head(repo)
        objects = repo.git_dir / "objects"
        path = self.folder(objects) / f"{READY}{uuid.uuid4().hex}"
        path.parent.mkdir(parents=True, exist_ok=True)
        workspaces.check_out(path, objects, BRANCH, commit, owner)
        _hold(path)
        fresh = pygit2.Repository(str(path))
        _index(fresh, fresh[commit.tree_id].peel(pygit2.Tree))
        fresh.free()

    def recycle(
        self, entry: Path, repo: RepoInfo, owner: tuple[int, int], pause: Callable[[], None]
    ) -> bool:
        """Clean a returned workspace to the head of the default branch, ready for the
        next task; when anything about it is odd, delete it instead (False).
        ``pause`` is called between folders, to let a task start go first."""
        try:
            _clean(entry, repo, owner, pause)
        except (Unrecyclable, OSError, pygit2.GitError, KeyError, RecursionError, ValueError):
            self.discard(entry)
            return False
        entry.rename(entry.with_name(f"{READY}{uuid.uuid4().hex}"))
        return True

    def discard(self, entry: Path) -> None:
        """Delete an entry, renamed first so that no take can get it meanwhile."""
        gone = entry.with_name(entry.name + _GONE)
        try:
            entry.rename(gone)
        except FileNotFoundError:  # taken
            return
        trees.remove(gone)

    def trim(self, objects: Path, size: int) -> None:
        """Keep at most ``size`` ready entries, and as many returned ones to recycle
        when those are taken."""
        for entry in self.ready(objects)[size:]:
            self.discard(entry)
        for entry, _task in self.used(objects)[size:]:
            self.discard(entry)

    def prune(self, kept: list[Path]) -> None:
        """Remove the folders of repositories other than ``kept`` (objects dirs) and what a
        crash cut short. Only while nothing is being filled."""
        folders = {self.folder(objects) for objects in kept}
        for folder in sorted(self.top.iterdir()) if self.top.is_dir() else []:
            if folder not in folders:
                trees.remove(folder)
                continue
            for entry in folder.iterdir():
                if entry.name.endswith((_STAGING, _GONE)):
                    trees.remove(entry)


def _named(folder: Path, prefix: str) -> list[Path]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [
        folder / n
        for n in sorted(names)
        if n.startswith(prefix) and not n.endswith((_STAGING, _GONE))
    ]


def _head(repo: RepoInfo) -> pygit2.Commit:
    return open_repo(repo.path).branches.local[repo.default_branch].peel(pygit2.Commit)


def _move(ws: workspaces.Workspace, commit: pygit2.Commit, owner: tuple[int, int] | None) -> None:
    """Put a taken entry on the task's branch at ``commit``, writing only the files
    that differ between the trees."""
    repo = pygit2.Repository(str(ws.path))
    old = repo.head.peel(pygit2.Commit).tree
    new = repo[commit.tree_id].peel(pygit2.Tree)
    deltas = [] if old.id == new.id else old.diff_to_tree(new).deltas  # a diff walks all
    changed = sorted({p for d in deltas for p in (d.old_file.path, d.new_file.path)})
    if changed:
        repo.checkout_tree(new, paths=changed, strategy=_ONLY)  # type: ignore[no-untyped-call]
    repo.references.create(f"refs/heads/{ws.branch}", commit.id, force=True)
    repo.set_head(f"refs/heads/{ws.branch}")
    repo.branches.local.delete(BRANCH)
    repo.free()
    if owner is not None and _files_owner(ws.path) not in (owner, None):
        trees.give(ws.path, owner)  # made for another agent's user
    elif owner is not None and os.geteuid() == 0:
        os.lchown(ws.path, *owner)
        trees.give(ws.path / ".git", owner)
        trees.give_paths(ws.path, changed, owner)


def _hold(path: Path) -> None:
    """Keep an entry's top folder and .git the host's while it waits: libgit2 opens no
    repository another user owns (and the files are given already)."""
    host = (os.geteuid(), os.getegid())
    if host[0] == 0:
        os.lchown(path, *host)
        trees.give(path / ".git", host)


def _files_owner(path: Path) -> tuple[int, int] | None:
    """Who an entry's files were given to (all alike: the host wrote them)."""
    for name in sorted(os.listdir(path)):
        if name != ".git":
            info = os.lstat(path / name)
            return info.st_uid, info.st_gid
    return None


def _clean(entry: Path, repo: RepoInfo, owner: tuple[int, int], pause: Callable[[], None]) -> None:
    commit = _head(repo)
    objects = repo.git_dir / "objects"
    user = open_repo(repo.path)
    tree = commit.tree
    cleaner = _Cleaner(entry, user.odb, owner, pause)
    with workspaces.closing(os.open(entry, workspaces.DIR_FLAGS)) as top:
        cleaner.walk(top, tree, "", 0)
        os.fchmod(top, _DIR_MODE)
    _hold(entry)
    # What is left are the tree's own files, so the host may now open it as a repository.
    fresh = workspaces.init(entry, objects, BRANCH, commit)
    tree = fresh[tree.id].peel(pygit2.Tree)
    if cleaner.missing:
        fresh.checkout_tree(  # type: ignore[no-untyped-call]
            tree, paths=cleaner.missing, strategy=_ONLY
        )
    trees.give(entry, owner)
    _hold(entry)
    if not _index(fresh, tree):
        raise Unrecyclable("the recycled files differ from the tree")
    fresh.free()


def _index(repo: pygit2.Repository, tree: pygit2.Tree) -> bool:
    """Write the index of ``tree`` with the files' stat data as they are now (after they
    were given away, which changes their ctime), so that the next task's first `git
    status` reads no file; whether the files hash to the tree."""
    index = repo.index
    index.clear()
    index.read_tree(tree)
    for entry in list(index):
        if entry.mode != FileMode.COMMIT:  # a submodule's folder is no file to read
            index.add(entry.path)  # read afresh, with its stat data
    same: bool = index.write_tree() == tree.id
    index.read_tree(tree)  # the tree's entries, keeping the stat data of the same ones
    index.write()
    return same


class _Cleaner:
    """One pass over a returned workspace against the tree it is cleaned to."""

    def __init__(
        self, top: Path, odb: pygit2.Odb, owner: tuple[int, int], pause: Callable[[], None]
    ) -> None:
        self.top = top
        self.odb = odb
        self.owner = owner
        self.pause = pause
        self.missing: list[str] = []  # the tree's paths to write

    def walk(self, dir_fd: int, tree: pygit2.Tree, prefix: str, depth: int) -> None:
        if depth > workspaces.MAX_DEPTH:
            raise Unrecyclable(f"{prefix} is nested deeper than {workspaces.MAX_DEPTH} folders")
        self.pause()
        kept = set()
        for name in os.listdir(dir_fd):
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            wanted = _entry(tree, name)
            if wanted is not None and self._keep(dir_fd, name, info, wanted, prefix + name, depth):
                kept.add(name)
            elif stat.S_ISDIR(info.st_mode):
                trees.remove(self.top / (prefix + name))  # only through folders checked real
            else:
                os.unlink(name, dir_fd=dir_fd)
        for lost in tree:
            if lost.name not in kept:
                self._missing(lost, prefix + str(lost.name))

    def _missing(self, entry: pygit2.Object, path: str) -> None:
        if entry.filemode == FileMode.TREE:
            for inner in entry.peel(pygit2.Tree):
                self._missing(inner, f"{path}/{inner.name}")
        else:
            self.missing.append(path)

    def _keep(
        self,
        dir_fd: int,
        name: str,
        info: os.stat_result,
        wanted: pygit2.Object,
        path: str,
        depth: int,
    ) -> bool:
        if (info.st_uid, info.st_gid) != self.owner:
            return False
        mode = stat.S_IMODE(info.st_mode)
        if wanted.filemode == FileMode.TREE:
            if not stat.S_ISDIR(info.st_mode) or mode != _DIR_MODE:
                return False
            with workspaces.closing(os.open(name, workspaces.DIR_FLAGS, dir_fd=dir_fd)) as sub:
                if not os.path.samestat(os.fstat(sub), info):
                    raise Unrecyclable(f"{path} changed while being cleaned")
                self.walk(sub, wanted.peel(pygit2.Tree), path + "/", depth + 1)
            return True
        if _FILE_MODES.get(wanted.filemode) != mode or not stat.S_ISREG(info.st_mode):
            return False  # links and submodules are written afresh
        if info.st_nlink != 1 or info.st_size != self.odb.read_header(wanted.id)[1]:
            return False
        with workspaces.closing(os.open(name, workspaces.FILE_FLAGS, dir_fd=dir_fd)) as fd:
            if not os.path.samestat(os.fstat(fd), info):
                raise Unrecyclable(f"{path} changed while being cleaned")
            if _xattrs(fd) - _HARMLESS_XATTRS:
                return False
            return blobs.oid_of(fd, info.st_size) == wanted.id


def _xattrs(fd: int) -> set[str]:
    try:
        return set(os.listxattr(fd))
    except OSError as exc:
        if exc.errno == errno.ENOTSUP:  # a file system without them
            return set()
        raise


def _entry(tree: pygit2.Tree, name: str) -> pygit2.Object | None:
    """The tree's entry of that name; None for a name no tree can hold (e.g. not UTF-8)."""
    try:
        return tree[name]
    except (KeyError, UnicodeError):
        return None
