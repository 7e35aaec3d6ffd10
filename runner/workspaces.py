"""Task workspaces: a repository of its own per task, read back as hostile data.

A workspace is what a task container sees at ``/workspace/<repo>``: a checkout
of the task's base commit with a ``.git`` directory of its own, which borrows
the user's objects through ``objects/info/alternates`` (the user's objects dir
is mounted read-only at the same path). So ``git status``, ``diff``, ``log``
and ``commit`` work inside the container, and nothing of the user's
repository is writable from it.

Once a container has run, everything in the workspace belongs to the agent,
so the host never opens it as a repository: no ``.git`` file, config, hook or
alternates file of it is read. ``snapshot`` reads its files instead, through
directory descriptors (a link is stored as a link and never followed, a
special file is refused, sizes are capped), into ``host.git`` beside the
workspace: a git dir only the host sees, where the review diff and accept's
commit are built. ``.gitignore`` files are honoured from host-side copies of
those that are regular files.

Neighbours: ``repos`` opens the user's repository; ``merge`` lands the commit
built here; ``pool`` keeps workspaces made ahead, and opens a finished task's
again only once its clean has deleted all but the tree's own files and made
a fresh .git.
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, DiffStatsFormat, FileMode, ObjectType

from runner import blobs, diffs, trees
from runner.errors import RunnerError, WorkspaceRefused
from runner.repos import (
    Diff,
    RepoInfo,
    branch_head,
    branch_name,
    drop_stale_lock,
    open_repo,
    render,
)

# A file larger than this is refused: such a file is a build artefact or a
# disk-filling attack, never a reviewable change.
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_ENTRIES = 1_000_000
_BASE_REFS = "refs/wallfacer/base/"
_WORK = "work"  # the workspace's parent: a repository of any name cannot meet host.git
_HOST_GIT = "host.git"
_IGNORES = "ignores"  # host-side copies of the workspace's .gitignore files
_ALSO = "also"  # the other repositories' workspaces of a task spanning several
MAX_DEPTH = 200  # folders deeper than this are an attack on recursion, not a project
# An ignore rule with more wildcards than this is dropped: libgit2's matcher takes
# exponential time on such patterns (and holds the GIL while it does).
MAX_RULE_WILDCARDS = 2
MAX_RULE_CHARS = 300
_IGNORE_BYTES = 1024 * 1024
_snapshot_locks: dict[Path, threading.Lock] = {}
_snapshot_locks_guard = threading.Lock()
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class Workspace:
    path: Path  # what the container mounts
    root: Path  # the task's folder: the workspace, host.git and the ignore copies
    objects: Path  # the user's objects dir, which the container may read
    branch: str
    base_commit: str


# Puts a ready-made checkout at a new workspace's path, on its branch at the commit;
# False when it has none (``pool.Pool.take``).
Take = Callable[[Workspace, pygit2.Commit, "tuple[int, int] | None"], bool]
# Fills a workspace just made, before any container has run in it, from the user's
# repository and the task's tree (``include.copy``).
Seed = Callable[[Path, pygit2.Repository, pygit2.Tree], None]


def existing(path: Path, git_dir: Path, branch: str, base_commit: str) -> Workspace:
    """The workspace a task record names (``path`` as ``create`` returned it)."""
    return Workspace(path, root_of(path), git_dir / "objects", branch, base_commit)


def root_of(path: Path) -> Path:
    """The task's folder for a workspace path (an older linked worktree: its parent)."""
    return path.parent.parent if path.parent.name == _WORK else path.parent


def also_root(root: Path, name: str) -> Path:
    """The folder, inside the task's own, of another repository's workspace for a task
    spanning several: removing the task's folder removes them all."""
    return root / _ALSO / name


def create(
    repo: RepoInfo,
    task_id: str,
    root: Path,
    base_branch: str,
    owner: tuple[int, int] | None = None,
    take: Take | None = None,
    seed: Seed | None = None,
) -> Workspace:
    """Create (or reuse, after a retry) the task's workspace, its branch and its base ref.

    The base ref under ``refs/wallfacer/`` keeps the base commit alive through
    a ``git gc --prune`` in the user's repository while the task runs.
    ``owner`` is the uid/gid the container runs as, given the workspace when
    the host runs as root. ``take`` is tried before a checkout of every file;
    ``seed`` fills the workspace once made (never a retry's, which an agent wrote).
    """
    user = open_repo(repo.path)
    branch = branch_name(task_id)
    ref = user.branches.local.get(branch)
    if ref is None:
        ref = user.branches.local.create(branch, branch_head(user, base_branch, repo.path))
    commit = ref.peel(pygit2.Commit)
    set_base(user, task_id, commit.id)
    ws = Workspace(root / _WORK / repo.name, root, repo.git_dir / "objects", branch, str(commit.id))
    if not (ws.root / _HOST_GIT).exists():
        (root / _WORK).mkdir(parents=True, exist_ok=True)
        pygit2.init_repository(
            str(root / _HOST_GIT), workdir_path=str(root / _IGNORES), initial_head="main"
        )
    if ws.path.exists():
        return ws
    if not (take and take(ws, commit, owner)):
        check_out(ws.path, ws.objects, ws.branch, commit, owner)
    if seed is not None:
        seed(ws.path, user, commit.tree)
    return ws


def set_base(user: pygit2.Repository, task_id: str, base: pygit2.Oid) -> None:
    """Point the task's branch and base ref at ``base`` (a new task, or a sync)."""
    user.references.create(_BASE_REFS + task_id[:8], base, force=True)
    user.references.create(f"refs/heads/{branch_name(task_id)}", base, force=True)


def check_out(
    path: Path, objects: Path, branch: str, commit: pygit2.Commit, owner: tuple[int, int] | None
) -> None:
    """A fresh repository at ``path`` whose objects are ``objects``, checked out at
    ``commit`` on ``branch``.

    It is written before any container has run, so opening it here is safe.
    """
    staging = path.with_name(path.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    fresh = init(staging, objects, branch, commit)
    tree = fresh[commit.tree_id].peel(pygit2.Tree)
    fresh.checkout_tree(tree, strategy=CheckoutStrategy.FORCE)  # type: ignore[no-untyped-call]
    fresh.free()
    trees.give(staging, owner)
    staging.rename(path)  # a crash mid-checkout never leaves a half workspace in use


def init(path: Path, objects: Path, branch: str, commit: pygit2.Commit) -> pygit2.Repository:
    """A new .git in ``path`` borrowing ``objects``, on ``branch`` at ``commit``."""
    pygit2.init_repository(str(path), initial_head=branch)
    (path / ".git" / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    repo = pygit2.Repository(str(path))
    repo.references.create(f"refs/heads/{branch}", commit.id)
    return repo


def host_repo(ws: Workspace) -> pygit2.Repository:
    """The host-only git dir, seeing the user's objects through an in-memory alternate.

    Its work tree is the ignore copies' folder, which libgit2 needs to exist to
    open it: a crash between a snapshot's removal of that folder and its remaking
    must not lose the workspace."""
    (ws.root / _IGNORES).mkdir(exist_ok=True)
    repo = pygit2.Repository(str(ws.root / _HOST_GIT))
    repo.odb.add_disk_alternate(str(ws.objects))
    return repo


def snapshot(ws: Workspace) -> tuple[pygit2.Repository, pygit2.Oid]:
    """The workspace's files as a tree in the host's git dir: what review shows and
    accept commits. One at a time per workspace: a diff during accept must not
    rebuild the ignore copies accept's walk is reading."""
    with _snapshot_locks_guard:
        lock = _snapshot_locks.setdefault(ws.root, threading.Lock())
    with lock:
        return _snapshot(ws)


def _snapshot(ws: Workspace) -> tuple[pygit2.Repository, pygit2.Oid]:
    host = host_repo(ws)
    base = host[ws.base_commit].peel(pygit2.Commit).tree
    ignores = ws.root / _IGNORES
    shutil.rmtree(ignores, ignore_errors=True)
    ignores.mkdir()
    reader = _Reader(host, base, ignores)
    try:
        top = os.open(ws.path, DIR_FLAGS)
    except OSError as exc:
        raise RunnerError(f"the task's workspace is gone: {exc}") from exc
    with closing(top):
        try:
            reader.walk(top, "", 0)
        except (UnicodeError, pygit2.GitError) as exc:  # a name git cannot hold
            raise WorkspaceRefused(
                f"the workspace holds a file name git refuses ({exc}); ask the agent to rename it"
            ) from exc
    return host, reader.index.write_tree(host)


def diff(ws: Workspace, max_bytes: int = diffs.MAX_FILE_BYTES) -> Diff:
    """What the user reviews: the base commit against the workspace's files, each file
    past ``max_bytes`` unread."""
    host, change = _change(ws)
    return render(host, change, max_bytes)


def changed_files(ws: Workspace) -> list[str]:
    """The paths the workspace changed against its base; none of their contents read."""
    return [delta.new_file.path for delta in _change(ws)[1].deltas]


def diff_stat(ws: Workspace) -> str:
    """The change as ``git diff --stat`` shows it (files, lines added and removed)."""
    return str(_change(ws)[1].stats.format(DiffStatsFormat.FULL, 72))


def _change(ws: Workspace) -> tuple[pygit2.Repository, pygit2.Diff]:
    host, tree = snapshot(ws)
    base = host[ws.base_commit].peel(pygit2.Commit).tree
    return host, base.diff_to_tree(host[tree].peel(pygit2.Tree))


def commit(ws: Workspace, message: str, sig: pygit2.Signature) -> pygit2.Oid | None:
    """Commit the workspace's files on the base commit, in the host's git dir and then
    in the user's repository; None when nothing changed."""
    host, tree = snapshot(ws)
    base = host[ws.base_commit].peel(pygit2.Commit)
    if tree == base.tree_id:
        return None
    return host.create_commit(None, sig, sig, message, tree, [base.id])


def import_objects(ws: Workspace, user: pygit2.Repository, oid: pygit2.Oid) -> None:
    """Copy a commit built in the host's git dir, and what it needs, into the user's
    objects; a subtree the user already has is skipped whole."""
    host = host_repo(ws)
    pending = [oid]
    while pending:
        current = pending.pop()
        if current in user:
            continue
        kind, data = host.odb.read(current)
        user.odb.write(kind, data)
        obj = host[current]
        if isinstance(obj, pygit2.Commit):
            pending.append(obj.tree_id)
        elif isinstance(obj, pygit2.Tree):
            pending.extend(entry.id for entry in obj if entry.type != ObjectType.COMMIT)


def remove(repo_path: Path, task_id: str, root: Path) -> None:
    """Delete the workspace and host git dir, the task branch and the base ref (and
    the lock a crash may have left on either, mid-delete: run again after one)."""
    trees.remove(root)
    try:
        user = open_repo(repo_path)
    except RunnerError:
        return
    for name in (_BASE_REFS + task_id[:8], f"refs/heads/{branch_name(task_id)}"):
        drop_stale_lock(user, name)
        if name in user.references:
            user.references.delete(name)


def _safe_rules(data: bytes) -> list[bytes]:
    """The rules libgit2 can match in reasonable time (``**`` counts as one ``*``);
    a dropped rule leaves its files in the change, for review to show."""
    kept = []
    for rule in data.splitlines():
        stars = rule.replace(b"**", b"*").count(b"*")
        if len(rule) <= MAX_RULE_CHARS and stars <= MAX_RULE_WILDCARDS:
            kept.append(rule)
    return kept


@contextmanager
def closing(fd: int) -> Iterator[int]:
    try:
        yield fd
    finally:
        os.close(fd)


@contextmanager
def _regular(dir_fd: int, name: str, path: str) -> Iterator[tuple[int, os.stat_result]]:
    """A descriptor of a regular file, never through a link, and its stat."""
    with closing(os.open(name, FILE_FLAGS, dir_fd=dir_fd)) as fd:
        info = os.fstat(fd)  # the entry may have been swapped since the listing
        if not stat.S_ISREG(info.st_mode):
            raise WorkspaceRefused(f"{path} changed into a special file while being read")
        yield fd, info


class _Reader:
    """One pass over a workspace: blobs into the host's git dir, entries into an index."""

    def __init__(self, host: pygit2.Repository, base: pygit2.Tree, ignores: Path) -> None:
        self.host = host
        self.base = base
        self.ignores = ignores
        self.index = pygit2.Index()
        self.entries = 0
        self.total = 0

    def walk(self, dir_fd: int, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise WorkspaceRefused(f"{prefix} is nested deeper than {MAX_DEPTH} folders")
        names = sorted(os.listdir(dir_fd))
        if ".gitignore" in names:
            self._copy_ignore(dir_fd, prefix)
        for name in names:
            if name.lower() == ".git":  # git never tracks a .git path, at any depth
                continue
            path = prefix + name
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise WorkspaceRefused(f"the workspace holds more than {MAX_ENTRIES} files")
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                if self._ignored(path + "/") and not self._tracked(path):
                    continue
                with closing(os.open(name, DIR_FLAGS, dir_fd=dir_fd)) as sub:
                    self.walk(sub, path + "/", depth + 1)
            elif self._ignored(path) and not self._tracked(path):
                continue
            elif stat.S_ISLNK(info.st_mode):
                target = os.fsencode(os.readlink(name, dir_fd=dir_fd))
                self._add_link(path, target)
            elif stat.S_ISREG(info.st_mode):
                self._add_file(dir_fd, name, path)
            else:
                raise WorkspaceRefused(
                    f"{path} is a special file (not a file, folder or link); "
                    "ask the agent to remove it"
                )

    def _add_file(self, dir_fd: int, name: str, path: str) -> None:
        with _regular(dir_fd, name, path) as (fd, info):
            if info.st_size > MAX_FILE_BYTES:
                raise WorkspaceRefused(
                    f"{path} is {info.st_size} bytes; files over {MAX_FILE_BYTES} are refused"
                )
            self.total += info.st_size
            if self.total > MAX_TOTAL_BYTES:
                raise WorkspaceRefused(f"the workspace holds more than {MAX_TOTAL_BYTES} bytes")
            oid = blobs.store(self.host, fd, info.st_size)
        mode = FileMode.BLOB_EXECUTABLE if info.st_mode & stat.S_IXUSR else FileMode.BLOB
        self.index.add(pygit2.IndexEntry(path, oid, mode))

    def _add_link(self, path: str, target: bytes) -> None:
        oid = pygit2.hash(target)
        if oid not in self.host.odb:
            self.host.odb.write(ObjectType.BLOB, target)
        self.index.add(pygit2.IndexEntry(path, oid, FileMode.LINK))

    def _copy_ignore(self, dir_fd: int, prefix: str) -> None:
        """Keep a regular .gitignore's rules (of its first megabyte), read through our
        own descriptor; a link or a special file in its place is not read at all."""
        try:
            with _regular(dir_fd, ".gitignore", prefix + ".gitignore") as (fd, _info):
                data = os.read(fd, _IGNORE_BYTES)
        except (WorkspaceRefused, OSError):
            return
        target = self.ignores / prefix / ".gitignore"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\n".join(_safe_rules(data)))

    def _ignored(self, path: str) -> bool:
        return bool(self.host.path_is_ignored(path))

    def _tracked(self, path: str) -> bool:
        try:
            self.base[path]
        except KeyError:
            return False
        return True
