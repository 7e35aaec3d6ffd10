"""Containers made ahead of a start, so that the start itself only starts one.

When a task is likely to start next (its card is being dragged, its Start
button pointed at; later, autopilot's next card), its workspace, home and
container are made before anyone asks for the start. The start takes that
container only if everything it was made from is still what the start would
use: the task, the agent env, the settings, the image behind the tag and the
base branch, compared as a fingerprint at the start itself. So a run never
starts with stale credentials or mounts, even if an event that should have
discarded the container was missed. Discarded otherwise, after ``TTL_S``, on
an edit of the prompt, a delete or cancel, a change of settings, and at
shutdown; with the container go the workspace and home if the preparation
made them. A container made ahead runs nothing and holds no slot (on a swarm it
is a service whose wrapper waits, its reservations held on its node). After a
crash, ``sweep`` removes the containers made ahead and never started, the
holders of their networks (``runner.holders``), and the workspaces made for
them, before anything is prepared again. A task spanning several repositories is
never made ahead: the fingerprint covers only the primary's base branch, and such
tasks are rare enough for their starts to make everything themselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from runner import agents, repos, trees, workspaces
from runner.agents import Adapter
from runner.containers import Engine
from runner.errors import RunnerError
from server import checkouts
from server import launch as launch_
from server.config import ConfigStore, RuntimeConfig
from server.images import EGRESS, Images
from server.jobs import Jobs
from server.lifecycle import Lifecycle
from server.model import Task
from server.states import Status

log = logging.getLogger(__name__)

# A container made ahead and not started by then is removed.
TTL_S = 120.0
# Tasks prepared at once: a preparation holds a workspace and a container each.
MAX_PREPARED = 2
_ALL = 100_000


@dataclass
class Made:
    fingerprint: str
    prepared: launch_.Prepared
    container_id: str
    repo: Path  # the user's repository, which holds the task's branch
    folders: tuple[Path, ...]  # the task's workspace root and home, where this made them
    expiry: asyncio.TimerHandle | None = None


def fingerprint(
    engine: Engine, agent: str, request: launch_.Request, env: dict[str, str], config: RuntimeConfig
) -> str:
    """A digest of everything a run's container is made from (blocking: it asks the
    engine what the tags name and the repository where the base branch is).

    Every setting counts, not only those known to reach the container: a new
    one must never be missed. The env's values go into the digest only.
    """
    head = repos.open_repo(request.repo.path).branches.local.get(request.base_branch)
    images = [engine.image_id(ref) for ref in (request.image, request.proxy_image) if ref]
    made_of = {
        "agent": agent,
        "request": asdict(request),
        "base": str(head.target) if head is not None else "",
        "images": images,
        "env": env,
        "settings": asdict(config),
    }
    return hashlib.sha256(json.dumps(made_of, sort_keys=True, default=str).encode()).hexdigest()


class Ahead:
    def __init__(
        self,
        life: Lifecycle,
        host: launch_.Host,
        config: ConfigStore,
        images: Images,
        jobs: Jobs,
        take: workspaces.Take | None = None,
    ) -> None:
        self._workspace = take  # a ready workspace, as a start takes one (``server.pool``)
        self.life = life
        self.host = host
        self.config = config
        self.images = images
        self.jobs = jobs
        self._made: dict[str, Made] = {}  # by task id, the oldest first
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        self._swept = False  # nothing is prepared before what a crash left is gone

    def ready(self, task_id: str) -> bool:
        return task_id in self._made

    def prepare(self, task: Task) -> None:
        """Start making the task's container, unless it is made or being made, or
        MAX_PREPARED are being made already."""
        if task.id in self._made or task.id in self._pending or self._closing or task.also:
            return
        if not self._swept:
            return
        if len(self._pending) >= MAX_PREPARED:
            return
        job = self.jobs.spawn(self._prepare(task))
        self._pending[task.id] = job
        job.add_done_callback(lambda _: self._pending.pop(task.id, None))

    async def _prepare(self, task: Task) -> None:
        config, images, io = self.config.current, self.images, self.life.io
        names = [task.agent, *([EGRESS] if config.egress == "allowlist" else [])]
        if not all(images.is_ready(name) for name in names):
            for name in names:  # a start would wait for them: have them made now, but
                if not images.failed(name):  # after a failure, the header's Retry decides
                    images.prepare(name)
            return
        image = await images.ready(task.agent)
        proxy_image = await images.ready(EGRESS) if len(names) > 1 else ""
        adapter = agents.adapter(task.agent, config.prices)
        args = adapter.args(task.prompt, None, task.model or None)
        try:
            env = await io(self.config.env)
            request = await io(
                launch_.request, task, self.host.settings.instance, image, proxy_image, args
            )
            made = await io(self._make, adapter, request, env, config)
        except (RunnerError, OSError) as exc:  # the start will say what is wrong
            log.info("task %s could not be prepared ahead: %s", task.id[:8], exc)
            return
        if self._closing:
            await self._forget(made)
            return
        self._made[task.id] = made
        made.expiry = asyncio.get_running_loop().call_later(TTL_S, self._expire, task.id, made)
        while len(self._made) > MAX_PREPARED:
            await self.discard(next(iter(self._made)))

    def launch_spec(
        self, adapter: Adapter, request: launch_.Request, env: dict[str, str], config: RuntimeConfig
    ) -> launch_.Prepared:
        """What a run needs before its container, made as a start makes it (blocking):
        the one place both a start and a preparation ahead of it make it."""
        return launch_.prepare(self.host, config, env, adapter, request, self._workspace)

    def _make(
        self,
        adapter: Adapter,
        request: launch_.Request,
        env: dict[str, str],
        config: RuntimeConfig,
    ) -> Made:
        """Fingerprint first: a change while the container is made then shows at the start."""
        folders = (
            self.host.settings.workspaces_dir / request.task_id,
            self.host.settings.homes_dir / request.task_id,
        )
        made = tuple(folder for folder in folders if not folder.exists())
        key = fingerprint(self.host.engine, adapter.name, request, env, config)
        try:
            prepared = self.launch_spec(adapter, request, env, config)
            container_id = self.host.engine.create(prepared.spec, ahead=True)
            return Made(key, prepared, container_id, request.repo.path, made)
        except BaseException:
            self._remove_folders(request.repo.path, request.task_id, made)
            raise

    async def take(
        self,
        adapter: Adapter,
        request: launch_.Request,
        env: dict[str, str],
        config: RuntimeConfig,
    ) -> Made | None:
        """The task's container made ahead, if it was made from what this start would
        use; otherwise it is removed, and the start makes its own."""
        task_id = request.task_id
        pending = self._pending.get(task_id)
        if pending is not None:  # being made: nearly there, and a second making would race it
            await asyncio.wait([pending])
        made = self._made.pop(task_id, None)
        if made is None:
            return None
        if made.expiry is not None:
            made.expiry.cancel()
        try:
            if await self.life.io(self._usable, made, adapter, request, env, config):
                return made
        except RunnerError as exc:
            log.info("the container made ahead for task %s is not usable: %s", task_id[:8], exc)
        await self._forget(made)
        return None

    def _usable(
        self,
        made: Made,
        adapter: Adapter,
        request: launch_.Request,
        env: dict[str, str],
        config: RuntimeConfig,
    ) -> bool:
        if fingerprint(self.host.engine, adapter.name, request, env, config) != made.fingerprint:
            return False
        if not self.host.engine.created(made.container_id):
            return False
        if made.prepared.proxied:  # as a start makes sure of it: the proxy may have stopped
            self.host.egress.ensure(request.proxy_image, made.prepared.allow)
        return True

    def _expire(self, task_id: str, made: Made) -> None:
        if self._made.get(task_id) is made:
            self.jobs.spawn(self.discard(task_id))

    async def discard(self, task_id: str) -> None:
        """Remove what was made ahead for the task (after its making, if under way)."""
        pending = self._pending.get(task_id)
        if pending is not None:
            await asyncio.wait([pending])
        made = self._made.pop(task_id, None)
        if made is not None:
            await self._forget(made)

    async def clear(self) -> None:
        """Remove everything made ahead: the settings or the agent env changed."""
        for task_id in [*self._pending, *self._made]:
            await self.discard(task_id)

    async def close(self) -> None:
        """At shutdown: what is being made is let finish, then all of it removed."""
        self._closing = True
        await self.clear()

    async def sweep(self) -> None:
        """At startup: what preparations cut off by a crash left, their containers,
        workspaces and homes (a backlog task that recorded no workspace has no work in
        one, and starts afresh: no session of its own to keep)."""
        io = self.life.io
        try:
            for left in await io(self.host.engine.list, self.host.settings.instance):
                if left.ahead and not left.started:
                    await io(self.host.engine.remove, left.id)
            await io(self.host.engine.remove_orphan_holders, self.host.settings.instance)
            backlog, _ = await io(self.life.store.list_tasks, [Status.BACKLOG], _ALL)
            await io(self._remove_unrecorded, [t for t in backlog if not t.worktree])
        except (RunnerError, OSError, RecursionError) as exc:
            log.warning("could not remove what preparations left before a restart: %s", exc)
        finally:
            self._swept = True

    def _remove_unrecorded(self, tasks: list[Task]) -> None:
        for task in tasks:
            workspace = self.host.settings.workspaces_dir / task.id
            if workspace.exists():
                checkouts.remove_all(task, workspace)
            trees.remove(self.host.settings.homes_dir / task.id)

    async def _forget(self, made: Made) -> None:
        if made.expiry is not None:
            made.expiry.cancel()
        task_id = made.prepared.spec.task_id
        try:
            await self.life.io(self.host.engine.remove, made.container_id)
            await self.life.io(self._remove_folders, made.repo, task_id, made.folders)
        except (RunnerError, OSError, RecursionError) as exc:
            log.warning("could not remove what was made ahead for task %s: %s", task_id[:8], exc)

    def _remove_folders(self, repo: Path, task_id: str, folders: tuple[Path, ...]) -> None:
        for folder in folders:
            if folder.parent == self.host.settings.workspaces_dir:
                workspaces.remove(repo, task_id, folder)  # and its branch in the user's repo
            else:
                trees.remove(folder)
