"""What a person can do to tasks: create, edit, start, answer, accept, cancel, delete.

Each action checks its input, then moves the task through ``lifecycle`` (the
one door to a status change) and hands the work on: running an agent to
``runs``, landing its change to ``landing``. Queries for the API live here
too, so handlers never reach into the store themselves.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

from runner import repos, trees
from runner.agents import AGENTS
from runner.errors import RunnerError
from server import budget, checkouts, drafts, messages, plans, review, spans, states
from server import tags as tags_
from server.ahead import Ahead
from server.config import ConfigStore
from server.errors import ApiError, BadRequest, Conflict, Unprocessable
from server.helpers import Helpers
from server.holds import Holds
from server.jobs import Jobs
from server.landing import Landing
from server.lifecycle import Lifecycle
from server.model import Task
from server.pool import WorkspacePool
from server.runs import Runs
from server.states import Action, Status
from server.store import Order, Page
from server.syncing import Syncs

log = logging.getLogger(__name__)


class Tasks:
    def __init__(
        self,
        life: Lifecycle,
        config: ConfigStore,
        runs: Runs,
        ahead: Ahead,
        landing: Landing,
        jobs: Jobs,
        homes_dir: Path,
        pool: WorkspacePool,
        helpers: Helpers,
    ) -> None:
        self.life = life
        self.io = life.io
        self.store = life.store
        self.config = config
        self.runs = runs
        self.ahead = ahead
        self.landing = landing
        self.jobs = jobs
        self.homes_dir = homes_dir
        self.holds = Holds()  # a sync's or a verifier's: no run, accept or delete meanwhile
        self.syncs = Syncs(life, self.holds)
        self.pool = pool
        self.helpers = helpers
        self._accepting = asyncio.Lock()

    async def get(self, task_id: str) -> Task:
        return await self.life.get(task_id)

    # --- queries ---------------------------------------------------------------

    async def page(
        self,
        statuses: list[Status],
        limit: int,
        cursor: str | None,
        order: Order,
        archived: bool | None,
        *,
        text: str = "",
        repos: list[str] | None = None,
        agents: list[str] | None = None,
        tags: list[str] | None = None,
    ) -> tuple[list[Task], str | None]:
        for tag in tags or []:
            tags_.check(tag, "tag")
        for agent in agents or []:
            if agent not in AGENTS:
                known = ", ".join(AGENTS)
                raise BadRequest(f"unknown agent {agent!r}; use one of {known}", field="agent")
        if repos:
            unknown = set(repos) - set(await self.io(self.store.repos))
            if unknown:
                raise BadRequest(f"{min(unknown)!r} is not a registered repository", field="repo")
        try:
            return await self.io(
                self.store.list_tasks,
                statuses,
                limit,
                cursor,
                order,
                archived,
                text,
                repos,
                agents,
                tags,
            )
        except ValueError as exc:
            raise BadRequest(
                f"cursor {cursor!r} is not one this server gave out", field="cursor"
            ) from exc

    async def events(self, task_id: str, after: int, limit: int, before: int | None) -> Page:
        await self.get(task_id)
        return await self.io(self.store.events, task_id, after, limit, before)

    async def turns(self, task_id: str) -> list[dict[str, Any]]:
        await self.get(task_id)
        return await self.io(self.store.turns, task_id)

    async def diff(self, task_id: str) -> dict[str, Any]:
        """The change under review, or, once merged, the change as it landed."""
        task = await self.get(task_id)
        max_bytes = self.config.current.diff_file_bytes

        return await self.io(lambda: review.diffs_json(checkouts.every_diff(task, max_bytes)))

    async def behind(self, tasks: list[Task]) -> dict[str, int]:
        """How many commits each waiting or failed task's base is behind its default branch."""
        return await self.syncs.behind(tasks)

    async def conflicts(self, task_id: str) -> dict[str, Any]:
        """The hunks where the change meets the default branch, after an accept conflicted."""
        task = await self.get(task_id)
        if not task.conflict_files or not checkouts.has_workspace(task):
            return review.conflicts_json([])
        return await self.io(lambda: review.conflicts_json(checkouts.conflicts(task)))

    # --- user actions ----------------------------------------------------------

    async def create(self, fields: dict[str, Any]) -> Task:
        """``fields``: prompt and, optionally, repo, title, agent, model, depends_on
        (task ids) and scheduled_at, as the API parsed them."""
        draft = await self.draft(fields, plans.dependencies(fields.get("depends_on")))
        return (await self._store([draft]))[0]

    async def create_plan(self, items: list[dict[str, Any]]) -> list[Task]:
        """Many tasks in one transaction, depending on each other by ref: all or none."""
        ids = [str(uuid.uuid4()) for _ in items]
        depends = plans.resolve(items, ids)
        drafts = []
        for index, item in enumerate(items):
            try:
                drafts.append(await self.draft(item, depends[index], ids[index]))
            except ApiError as exc:
                exc.message = f"tasks[{index}]: {exc.message}"
                raise
        return await self._store(drafts)

    async def _store(self, drafts: list[Task]) -> list[Task]:
        saved = await self.io(self.store.create_tasks, drafts)
        self.life.hub.board_changed()
        for task in saved:
            self.helpers.name_later(task)
        return saved

    async def draft(self, fields: dict[str, Any], depends_on: list[str], id_: str = "") -> Task:
        """A backlog task made of checked ``fields``, not stored yet."""
        config = self.config.current
        drafts.check_fields(fields, config)
        repo = await self._repo(fields.get("repo"))
        also = await self.io(lambda: spans.checked(fields.get("also"), repo, self.store.repos()))
        return drafts.backlog_task(fields, depends_on, id_, repo, also, config)

    async def _repo(self, repo: str | None) -> str:
        """The given repository (registered on first use), or the first registered one."""
        if repo is not None:
            return await self.register_repo(repo, field="repo")
        known = await self.io(self.store.repos)
        if not known:
            raise BadRequest('no repository is registered; pass one as "repo"', field="repo")
        return known[0]

    async def repos(self) -> list[dict[str, str]]:
        """The registered repositories, each as it is now (or why it cannot be read)."""
        return await self.io(_describe, await self.io(self.store.repos))

    async def register_repo(self, path: str, field: str = "path") -> str:
        """``field`` is the request field that named the path, for the error."""
        try:
            info = await self.io(repos.inspect_repo, path)
        except RunnerError as exc:
            raise BadRequest(str(exc), field=field) from exc
        await self.io(self.store.add_repo, str(info.path))
        return str(info.path)

    async def configure(self, changes: dict[str, Any], env: dict[str, Any]) -> None:
        """Apply settings from the board; a higher parallel limit frees queued runs, and
        new credentials or limits may let the autopilot start a card.

        The env is checked first, so a bad request changes nothing at all.
        """
        self.config.check_env(env)
        if changes:
            await self.io(self.config.update, changes)
            await self.runs.slots.limit_changed()
            self.pool.wake()
        if env:
            await self.io(self.config.update_env, env)
        # Live clients (the header, the tray) and the autopilot follow the board.
        await self.life.announce("settings-updated", {"autopilot": self.config.current.autopilot})
        if changes or env:  # a start would not take them; they need not wait for it
            await self.ahead.clear()

    async def edit(self, task_id: str, changes: dict[str, Any]) -> Task:
        """Prompt, title and backlog position change only in the backlog; archiving
        only once a task is finished."""
        task = await self.get(task_id)
        backlog_only = states.BACKLOG_ONLY & set(changes)
        if backlog_only and task.status not in states.EDITABLE:
            names = " and ".join(sorted(backlog_only))
            raise Conflict(
                f"{names} can change only in the backlog; this task is {task.status}",
                field=min(backlog_only),
            )
        if "archived" in changes and task.status not in states.ARCHIVABLE:
            raise Conflict(
                f"only done or cancelled tasks can be archived; this one is {task.status}",
                field="archived",
            )
        if "prompt" in changes:
            drafts.check_text("prompt", changes["prompt"], drafts.MAX_PROMPT_BYTES)
        drafts.check_title(changes.get("title", ""))
        if "scheduled_at" in changes:
            changes["scheduled_at"] = plans.scheduled_at(changes["scheduled_at"])
        if "prompt" in changes:
            await self.ahead.discard(task_id)
        if "depends_on" in changes:
            depends_on = plans.dependencies(changes.pop("depends_on"))
            task = await self.io(self.store.set_dependencies, task_id, depends_on)
            if not changes:
                self.life.hub.board_changed()
                return task
        return await self.life.update(task_id, **changes)

    async def sync(self, task_id: str) -> Task:
        """Move a waiting or failed task's change onto its default branch's head."""
        return await self.syncs.sync(await self.get(task_id))

    async def delete(self, task_id: str) -> None:
        self.holds.check_idle(task_id)
        task = await self.get(task_id)
        if task.status in states.RUNNING:
            raise Conflict(f"the task is {task.status}; cancel it before deleting")
        await self.ahead.discard(task_id)
        await checkouts.drop(self.life, task, self.pool)
        try:
            await self.io(trees.remove, self.homes_dir / task_id)
        except (OSError, RecursionError) as exc:
            log.warning("could not remove the home of task %s: %s", task_id[:8], exc)
        await self.io(self.store.delete_task, task_id)
        self.life.hub.task_changed(task_id)
        self.life.hub.board_changed()

    async def _can_run(self, task_id: str) -> None:
        """An agent without credentials would fail with "please log in", and a task
        at its budget would be stopped at once: say so first."""
        self.holds.check_idle(task_id)
        task = await self.get(task_id)
        spent = budget.exceeded(task.usage.cost_usd, task.budget_usd)
        if spent:
            raise Unprocessable(f"{spent}; raise the budget to run it again", field="budget_usd")
        missing = await self.io(self.config.missing, task.agent)
        if missing:
            raise Unprocessable(missing, field="env")

    async def prepare(self, task_id: str) -> bool:
        """Make the task's container ahead of a likely start (see ``ahead``); whether
        one is ready now. Cheap to ask again and again."""
        await self._can_run(task_id)
        task = await self.get(task_id)
        if task.status != Status.BACKLOG:
            raise Conflict(f"only a backlog task is prepared to start; this one is {task.status}")
        self.ahead.prepare(task)
        return self.ahead.ready(task_id)

    async def start(self, task_id: str) -> Task:
        await self._can_run(task_id)
        task = await self.life.move(task_id, Action.START, "started", error="")
        self.runs.launch(task, task.prompt, None)
        return task

    async def feedback(self, task_id: str, message: str) -> Task:
        drafts.check_text("message", message, drafts.MAX_PROMPT_BYTES)
        await self._can_run(task_id)
        task = await self.life.move(
            task_id, Action.FEEDBACK, "feedback", error="", conflict_files=[]
        )
        await self.life.note(task_id, "feedback", message=message)
        self.runs.launch(task, message, task.session_id or None)
        return task

    async def resume(self, task_id: str) -> Task:
        """Pick a failed task up again: the same session if there is one, else afresh."""
        await self._can_run(task_id)
        task = await self.life.move(task_id, Action.RESUME, "resumed", error="")
        if task.session_id:
            self.runs.launch(task, self.runs.RESUME_PROMPT, task.session_id)
        else:
            self.runs.launch(task, task.prompt, None)
        return task

    async def retry(self, task_id: str) -> Task:
        """Back to the backlog for a fresh start; the worktree's work is kept. Its time
        has passed: it starts when a person or the autopilot starts it."""
        return await self.life.move(
            task_id,
            Action.RETRY,
            "retry",
            error="",
            session_id="",
            conflict_files=[],
            scheduled_at="",
        )

    async def cancel(
        self, task_id: str, action: Action = Action.CANCEL, reason: str = "cancelled by the user"
    ) -> Task:
        """Stop the run and drop the workspace; ``action`` is SUPERSEDE when another
        attempt at the same prompt landed."""
        self.holds.check_idle(task_id)
        task = await self.life.move(task_id, action, reason)
        await self.ahead.discard(task_id)  # made ahead for a launch that never took it
        await self.runs.stop(task)
        await checkouts.drop(self.life, task, self.pool)
        return await self.get(task_id)

    async def accept(self, task_id: str, message: str | None = None) -> Task:
        """Land the task's change with ``message``, or the helper's (``helpers``), or the
        one its title proposes."""
        text = messages.checked(message) if message is not None else None
        self.holds.check_idle(task_id)
        async with self._accepting:  # no other attempt of its prompt between check and move
            await self._alone_landing(await self.get(task_id))
            task = await self.life.move(
                task_id, Action.ACCEPT, "accepted", error="", conflict_files=[]
            )
        self.jobs.spawn(self._land(task, text))
        return task

    async def _land(self, task: Task, message: str | None) -> None:
        """Land with the person's message, else the helper's, else the title's."""
        if message is None:
            message = await self.helpers.commit_message(task)
        await self.landing.land(task, message or messages.proposed(task.display_title()))

    async def _alone_landing(self, task: Task) -> None:
        """Of one prompt's attempts, one lands: the rest are cancelled after it."""
        if not (task.attempt_of or task.attempts):
            return
        for other in await self.io(self.store.attempt_group, task.attempt_of or task.id):
            if other.id == task.id:
                continue
            if other.status in (Status.COMMITTING, Status.DONE):
                raise Conflict(f"attempt {other.id[:8]} of this prompt is {other.status} already")
            if other.status == Status.IN_PROGRESS and other.conflict_round:  # accepted too
                raise Conflict(f"attempt {other.id[:8]} of this prompt is resolving its accept")


def _describe(paths: list[str]) -> list[dict[str, str]]:
    described = []
    for path in paths:
        try:
            info = repos.inspect_repo(path)
        except RunnerError as exc:
            described.append({"path": path, "name": path, "error": str(exc)})
            continue
        described.append(
            {
                "path": str(info.path),
                "name": info.name,
                "default_branch": info.default_branch,
                "branch": info.checked_out,
            }
        )
    return described
