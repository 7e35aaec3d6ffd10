"""The task lifecycle: what each user action does, and the one door to a status change.

Every status change goes through ``Tasks.move``, which checks the transition
table in ``states`` and records the change atomically in the store. Running an
agent lives in ``runs``; landing its work lives in ``runner.merge``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner import merge, repos, trees, workspaces
from runner.agents import AGENTS
from runner.containers import Engine
from runner.errors import (
    BranchMoved,
    DirtyCheckout,
    MergeConflict,
    NothingToMerge,
    OperationInProgress,
    RunnerError,
)
from runner.workspaces import WorkspaceRefused
from server import states
from server.blocking import Blocking
from server.config import ConfigStore
from server.errors import BadRequest, Conflict, InvalidTransition, NotFound, Unprocessable
from server.events import Hub
from server.images import Images

if TYPE_CHECKING:
    from server.metrics import Metrics
from server.model import Event, Task
from server.runs import Runs
from server.settings import Settings
from server.states import Action, Status
from server.store import Order, Store

log = logging.getLogger(__name__)

# In UTF-8 bytes: a prompt becomes one process argument, and Linux caps one at 128 KiB.
MAX_PROMPT_BYTES = 100_000
MAX_TITLE_CHARS = 200
# A task cannot be deleted while something is still working on it.
_BUSY = frozenset({Status.IN_PROGRESS, Status.COMMITTING})
# Archiving hides a finished task from the board; the store keeps it.
ARCHIVABLE = frozenset({Status.DONE, Status.CANCELLED})
# Accept refusals the user can fix (or the agent can, on feedback): back to review.
_REVIEW_AGAIN = (BranchMoved, OperationInProgress, NothingToMerge, WorkspaceRefused)


class Tasks:
    def __init__(
        self, settings: Settings, store: Store, hub: Hub, io: Blocking, engine: Engine
    ) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.io = io
        self.engine = engine
        self.config = ConfigStore(settings.data_dir, settings.config, settings.pinned)
        self._metrics: Metrics | None = None
        self.images = Images(self, settings.image_base, settings.agent_binaries)
        self.runs = Runs(self)
        self._background: set[asyncio.Task[None]] = set()
        # Told of every status change, with the counts per status (the desktop tray).
        self.listeners: list[Callable[[Task, dict[str, int]], None]] = []

    @property
    def metrics(self) -> Metrics:
        """Made on first use: prometheus_client alone costs ~10 MB of an idle server."""
        if self._metrics is None:
            from server.metrics import Metrics

            self._metrics = Metrics(self.store, self.hub)
        return self._metrics

    # --- plumbing shared with runs -------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run lifecycle work in the background, keeping a reference and logging crashes."""
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._reap)

    def _reap(self, job: asyncio.Task[None]) -> None:
        self._background.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.error("background task crashed", exc_info=job.exception())

    async def get(self, task_id: str) -> Task:
        task = await self.io(self.store.get_task, task_id)
        if task is None:
            raise NotFound(f"no task with id {task_id}")
        return task

    async def move(self, task_id: str, action: Action, reason: str = "", **changes: Any) -> Task:
        """The only way a task changes status; raises InvalidTransition (409) if illegal."""
        task = await self.get(task_id)
        to = states.target(task.status, action)
        reason = self.config.redactor.text(reason)
        changes = self.config.redactor.value(changes)
        moved = await self.io(self.store.transition, task_id, task.status, to, reason, **changes)
        if moved is None:  # someone else moved it between our read and write
            states.target((await self.get(task_id)).status, action)
            raise InvalidTransition(f"the task changed while trying to {action}; try again")
        self.hub.task_changed(task_id)
        self.hub.board_changed()
        if self.listeners:
            counts = await self.io(self.store.counts)
            for listener in self.listeners:
                listener(moved[0], counts)
        log.info("task %s: %s -> %s %s", task_id[:8], task.status, to, reason)
        return moved[0]

    async def update(self, task_id: str, **changes: Any) -> Task:
        """Change bookkeeping fields (never the status) and tell the board."""
        saved = await self.io(self.store.update_task, task_id, **changes)
        self.hub.board_changed()
        return saved

    async def note(self, task_id: str, type_: str, **data: Any) -> None:
        """Append to the task's log (feedback, errors, system notes) and stream it."""
        await self.io(self.store.append_event, task_id, type_, self.config.redactor.value(data))
        self.hub.task_changed(task_id)

    # --- queries ---------------------------------------------------------------

    async def page(
        self,
        statuses: list[Status],
        limit: int,
        cursor: str | None,
        order: Order,
        archived: bool | None,
    ) -> tuple[list[Task], str | None]:
        try:
            return await self.io(self.store.list_tasks, statuses, limit, cursor, order, archived)
        except ValueError as exc:
            raise BadRequest(f"cursor {cursor!r} is not one this server gave out") from exc

    async def events(self, task_id: str, after: int, limit: int) -> list[Event]:
        await self.get(task_id)
        return await self.io(self.store.events, task_id, after, limit)

    async def turns(self, task_id: str) -> list[dict[str, Any]]:
        await self.get(task_id)
        return await self.io(self.store.turns, task_id)

    async def diff(self, task_id: str) -> repos.Diff:
        """The change under review, or, once merged, the change as it landed."""
        task = await self.get(task_id)
        if task.merged_head and task.status == Status.DONE:
            return await self.io(
                repos.diff_commits, Path(task.repo), task.merged_base, task.merged_head
            )
        if task.worktree and task.base_commit and Path(task.worktree).exists():
            return await self.io(lambda: workspaces.diff(_workspace(task)))
        return repos.Diff("", [])

    # --- user actions ----------------------------------------------------------

    async def create(
        self,
        prompt: str,
        repo: str | None,
        title: str,
        agent: str | None = None,
        model: str = "",
    ) -> Task:
        _check_text("prompt", prompt, MAX_PROMPT_BYTES)
        if len(title) > MAX_TITLE_CHARS:
            raise Unprocessable(f"title is longer than {MAX_TITLE_CHARS} characters")
        agent = agent or self.config.current.default_agent
        if agent not in AGENTS:
            raise BadRequest(f"unknown agent {agent!r}; use one of {', '.join(AGENTS)}")
        if len(model) > 100 or any(c.isspace() for c in model):
            raise Unprocessable("model must be a model name without spaces")
        repo_path = await self._repo(repo)
        task = Task(
            id=str(uuid.uuid4()),
            prompt=prompt,
            title=title.strip(),
            status=Status.BACKLOG,
            repo=repo_path,
            agent=agent,
            model=model,
        )
        saved = await self.io(self.store.create_task, task)
        self.hub.board_changed()
        return saved

    async def _repo(self, repo: str | None) -> str:
        """The given repository (registered on first use), or the first registered one."""
        if repo is not None:
            return await self.register_repo(repo)
        known = await self.io(self.store.repos)
        if not known:
            raise BadRequest('no repository is registered; pass one as "repo"')
        return known[0]

    async def register_repo(self, path: str) -> str:
        try:
            info = await self.io(repos.inspect_repo, path)
        except RunnerError as exc:
            raise BadRequest(str(exc)) from exc
        await self.io(self.store.add_repo, str(info.path))
        return str(info.path)

    async def configure(self, changes: dict[str, Any], env: dict[str, Any]) -> None:
        """Apply settings from the board; a higher parallel limit frees queued runs.

        The env is checked first, so a bad request changes nothing at all.
        """
        self.config.check_env(env)
        if changes:
            await self.io(self.config.update, changes)
            await self.runs.slots.limit_changed()
        if env:
            await self.io(self.config.update_env, env)

    async def edit(self, task_id: str, changes: dict[str, Any]) -> Task:
        """Prompt, title and backlog position change only in the backlog; archiving
        only once a task is finished."""
        task = await self.get(task_id)
        backlog_only = {"prompt", "title", "position"} & set(changes)
        if backlog_only and task.status != Status.BACKLOG:
            names = " and ".join(sorted(backlog_only))
            raise Conflict(f"{names} can change only in the backlog; this task is {task.status}")
        if "archived" in changes and task.status not in ARCHIVABLE:
            raise Conflict(
                f"only done or cancelled tasks can be archived; this one is {task.status}"
            )
        if "prompt" in changes:
            _check_text("prompt", changes["prompt"], MAX_PROMPT_BYTES)
        if len(changes.get("title", "")) > MAX_TITLE_CHARS:
            raise Unprocessable(f"title is longer than {MAX_TITLE_CHARS} characters")
        return await self.update(task_id, **changes)

    async def delete(self, task_id: str) -> None:
        task = await self.get(task_id)
        if task.status in _BUSY:
            raise Conflict(f"the task is {task.status}; cancel it before deleting")
        await self._drop_worktree(task)
        try:
            await self.io(trees.remove, self.settings.homes_dir / task_id)
        except (OSError, RecursionError) as exc:
            log.warning("could not remove the home of task %s: %s", task_id[:8], exc)
        await self.io(self.store.delete_task, task_id)
        self.hub.task_changed(task_id)
        self.hub.board_changed()

    async def _can_run(self, task_id: str) -> None:
        """An agent without credentials would fail with "please log in": say so first."""
        task = await self.get(task_id)
        missing = await self.io(self.config.missing, task.agent)
        if missing:
            raise Unprocessable(missing, field="env")

    async def start(self, task_id: str) -> Task:
        await self._can_run(task_id)
        task = await self.move(task_id, Action.START, "started", error="")
        self.runs.launch(task, task.prompt, None)
        return task

    async def feedback(self, task_id: str, message: str) -> Task:
        _check_text("message", message, MAX_PROMPT_BYTES)
        await self._can_run(task_id)
        task = await self.move(task_id, Action.FEEDBACK, "feedback", error="", conflict_files=[])
        await self.note(task_id, "feedback", message=message)
        self.runs.launch(task, message, task.session_id or None)
        return task

    async def resume(self, task_id: str) -> Task:
        """Pick a failed task up again: the same session if there is one, else afresh."""
        await self._can_run(task_id)
        task = await self.move(task_id, Action.RESUME, "resumed", error="")
        if task.session_id:
            self.runs.launch(task, self.runs.RESUME_PROMPT, task.session_id)
        else:
            self.runs.launch(task, task.prompt, None)
        return task

    async def retry(self, task_id: str) -> Task:
        """Back to the backlog for a fresh start; the worktree's work is kept."""
        return await self.move(
            task_id, Action.RETRY, "retry", error="", session_id="", conflict_files=[]
        )

    async def cancel(self, task_id: str) -> Task:
        task = await self.move(task_id, Action.CANCEL, "cancelled by the user")
        await self.runs.stop(task)
        await self._drop_worktree(task)
        return await self.get(task_id)

    async def accept(self, task_id: str) -> Task:
        task = await self.move(task_id, Action.ACCEPT, "accepted", error="", conflict_files=[])
        self.spawn(self._land(task))
        return task

    async def _land(self, task: Task) -> None:
        loop = asyncio.get_running_loop()

        def remember(merged: merge.Merged) -> None:  # worker thread, just before the ff
            self.store.update_task(task.id, merged_base=merged.base, merged_head=merged.head)
            loop.call_soon_threadsafe(self.hub.board_changed)

        message = task.display_title() or "Wallfacer task"
        started = time.monotonic()
        try:
            merged = await self.io(
                lambda: merge.accept(
                    Path(task.repo), _workspace(task), task.base_branch, message, remember
                )
            )
        except (MergeConflict, DirtyCheckout) as exc:
            await self._back_to_review(task.id, str(exc), exc.files)
        except _REVIEW_AGAIN as exc:
            await self._back_to_review(task.id, str(exc), [])
        except RunnerError as exc:
            await self.move(task.id, Action.FAIL, str(exc), error=str(exc))
        except Exception as exc:
            log.exception("accept of task %s failed", task.id)
            await self.move(task.id, Action.FAIL, "accept failed", error=f"accept failed: {exc}")
        else:
            self.metrics.accept.observe(time.monotonic() - started)
            await self.finish_merge(task, merged.base, merged.head)

    async def _back_to_review(self, task_id: str, reason: str, files: list[str]) -> None:
        await self.note(task_id, "error", message=reason, files=files)
        await self.move(
            task_id,
            Action.REOPEN,
            reason,
            error=reason,
            conflict_files=files,
            merged_base="",
            merged_head="",
        )

    async def finish_merge(self, task: Task, base: str, head: str) -> None:
        """Clean up first, so that a task shown as done has nothing left behind."""
        await self._drop_worktree(task)
        await self.move(
            task.id,
            Action.LAND,
            f"merged into {task.base_branch}",
            merged_base=base,
            merged_head=head,
        )

    async def _drop_worktree(self, task: Task) -> None:
        """Remove the task's workspace and branch; a failure is noted, never fatal."""
        if not task.worktree:
            return
        try:
            root = workspaces.root_of(Path(task.worktree))
            await self.io(workspaces.remove, Path(task.repo), task.id, root)
        except (RunnerError, OSError, RecursionError) as exc:  # a tree nested to attack
            log.warning("could not remove the worktree of task %s: %s", task.id[:8], exc)
            await self.note(task.id, "system", message=f"worktree left behind: {exc}")
            return
        await self.update(task.id, worktree="")

    async def recover(self) -> None:
        """After a restart, bring every unfinished task to a truthful state."""
        await self.runs.recover()
        committing, _ = await self.io(self.store.list_tasks, [Status.COMMITTING], 100_000)
        for task in committing:
            landed = bool(task.merged_head) and await self.io(
                merge.landed, Path(task.repo), task.base_branch, task.merged_head
            )
            if landed:
                await self.finish_merge(task, task.merged_base, task.merged_head)
            else:
                if task.merged_head:  # the checkout may be half done: put it back
                    await self.io(
                        merge.restore_interrupted,
                        Path(task.repo),
                        task.base_branch,
                        task.merged_base,
                        task.merged_head,
                    )
                await self._back_to_review(
                    task.id, "the accept was interrupted before it landed; accept again", []
                )


def _workspace(task: Task) -> workspaces.Workspace:
    """The workspace a task record names (call from the executor: it opens the repo)."""
    git_dir = repos.inspect_repo(task.repo).git_dir
    return workspaces.existing(Path(task.worktree), git_dir, task.branch, task.base_commit)


def _check_text(name: str, value: str, limit: int) -> None:
    """Counted in UTF-8 bytes, as the agent's argument list counts them, so
    text that could not start a run is refused before it is stored."""
    if not value.strip():
        raise Unprocessable(f"{name} must not be empty")
    size = len(value.encode())
    if size > limit:
        raise Unprocessable(f"{name} is longer than {limit} bytes in UTF-8 ({size})")
