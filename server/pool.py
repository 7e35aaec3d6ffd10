"""Each registered repository's ready workspaces (``runner.pool``), kept in the background.

A task start takes a ready workspace instead of checking out every file; a
done or cancelled task's workspace comes back, and is recycled when one is
taken (a clean writes less than a checkout of every file), before any new one
is filled. The work of keeping the pool runs one piece at a time on a
thread of its own at the lowest CPU priority (and so disk priority, where the
scheduler derives it), a short delay after it is asked for, and waits while a
task start is taking a workspace. ``workspace_pool`` is how many a repository
keeps; 0 turns the pool off and empties it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from pathlib import Path

import pygit2

from runner import pool, repos, workspaces
from runner.containers import Engine
from runner.errors import RunnerError
from runner.runspec import sandbox_owner
from server.blocking import Blocking
from server.config import ConfigStore
from server.images import Images
from server.model import Task
from server.store import Store

log = logging.getLogger(__name__)

DELAY_S = 5.0  # after a take or a return, before the pool works: the start goes first
IDLE_S = 60.0  # how often the pool looks for work nobody asked for (a repo added, a crash)


def _lowest_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):  # the thread's own niceness (Linux)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class WorkspacePool:
    def __init__(
        self,
        top: Path,
        instance: str,  # the label of this instance's containers
        store: Store,
        config: ConfigStore,
        engine: Engine,
        images: Images,
        io: Blocking,
    ) -> None:
        self.pool = pool.Pool(top)
        self.instance = instance
        self.store = store
        self.config = config
        self.engine = engine
        self.images = images
        self.io = io
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._quiet = threading.Condition()
        self._taking = 0
        self._quiet_from = 0.0  # monotonic: when the last take's start had its head start

    @property
    def size(self) -> int:
        return self.config.current.workspace_pool

    # --- on the request side (io threads) ----------------------------------------

    def take(
        self, ws: workspaces.Workspace, commit: pygit2.Commit, owner: tuple[int, int] | None
    ) -> bool:
        """``workspaces.Take``: a ready workspace for a task start, if there is one."""
        if self.size == 0:
            return False
        with self._quiet:
            self._taking += 1
        try:
            return self.pool.take(ws, commit, owner)
        finally:
            with self._quiet:
                self._taking -= 1
                self._quiet_from = time.monotonic() + DELAY_S
                self._quiet.notify_all()
            self._poke()

    def give_back(self, task: Task) -> None:
        """Take a finished task's workspace in to be recycled (a rename); left alone when
        the pool is off, for the caller to remove."""
        path = Path(task.worktree)
        if self.size == 0 or workspaces.root_of(path) == path.parent or not path.is_dir():
            return  # an older task's linked worktree is never recycled
        git_dir = repos.inspect_repo(task.repo).git_dir
        self.pool.give_back(path, git_dir / "objects", task.id)
        self._poke()

    def _poke(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def wake(self) -> None:
        """On the loop: the settings changed, so the pool may have work."""
        self._wake.set()

    # --- the background work --------------------------------------------------------

    async def run(self) -> None:
        """Keep the pool until cancelled (at shutdown)."""
        self._loop = asyncio.get_running_loop()
        self._wake.set()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_S):
                    await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(DELAY_S)
            # A step (a checkout of a big repository) can be long: a thread of its own.
            while await self.io.stream("wallfacer-pool", self._step):
                pass

    def _pause(self) -> None:
        """Wait while a task start is taking a workspace, and a little after it."""
        with self._quiet:
            while self._taking or time.monotonic() < self._quiet_from:
                self._quiet.wait(max(self._quiet_from - time.monotonic(), 0.05))

    def _step(self) -> bool:
        """One piece of work, on a thread of its own; False when none is left."""
        _lowest_priority()
        try:
            return self._work()
        except (RunnerError, OSError, pygit2.GitError, KeyError, RecursionError) as exc:
            log.warning("the workspace pool could not do its work: %s", exc)
            return False

    def _work(self) -> bool:
        size = self.size
        known = []
        for path in self.store.repos():
            with contextlib.suppress(RunnerError):
                known.append(repos.inspect_repo(path))
        self.pool.prune([repo.git_dir / "objects" for repo in known])
        for repo in known:
            self.pool.trim(repo.git_dir / "objects", size)
        owner = self._owner()
        for repo in known:
            if len(self.pool.ready(repo.git_dir / "objects")) >= size:
                continue
            self._pause()
            if not self._recycle(repo, owner):
                self.pool.fill(repo, owner)
            return True
        return False

    def _recycle(self, repo: repos.RepoInfo, owner: tuple[int, int]) -> bool:
        """Recycle a returned workspace whose task has no container left (none that could
        still write to it), rather than check out every file anew; False if none."""
        returned = self.pool.used(repo.git_dir / "objects")
        if not returned:
            return False
        try:
            containers = {c.task_id for c in self.engine.list(self.instance)}
        except RunnerError:
            return False  # the engine is away: nothing can be said of the containers
        for entry, task_id in returned:
            if task_id not in containers:
                if not self.pool.recycle(entry, repo, owner, self._pause):
                    log.info("a returned workspace of task %s was deleted, not recycled", task_id)
                return True
        return False

    def _owner(self) -> tuple[int, int]:
        """Who the default agent's containers run as, so that a take gives nothing."""
        agent = self.config.current.default_agent
        user = ""
        if self.images.is_ready(agent):
            with contextlib.suppress(RunnerError):
                user = self.engine.image_user(self.images.image_for(agent))
        return sandbox_owner(user)
