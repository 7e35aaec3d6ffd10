"""Running an agent: one container per run, its output streamed into the store live.

A run holds one of ``max_parallel`` slots from the moment it needs a container
until the container is gone. Output is read on the run's own thread, appended
to the store line by line (never held whole) and published to live clients.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from runner import agents, repos
from runner.agents import Adapter, AgentEvent
from runner.containers import Exit, RunSpec, instance_id
from runner.egress import Egress
from runner.errors import RunnerError, RuntimeUnavailable
from server import launch as launch_
from server import output
from server.images import EGRESS
from server.output import RunState
from server.slots import Slots
from server.states import Action, Status

if TYPE_CHECKING:
    from server.model import Task
    from server.tasks import Tasks

log = logging.getLogger(__name__)

# How long a run waits for an unreachable engine before it gives up, and how often it looks.
ENGINE_WAIT_S = 10 * 60.0
ENGINE_RETRY_S = 5.0
# How often a running task behind the egress proxy is told what the proxy refused.
REFUSALS_EVERY_S = 2.0
Parser = Callable[[str], list[AgentEvent]]
T = TypeVar("T")


class Runs:
    RESUME_PROMPT = "Continue where you left off."

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks
        self.instance = instance_id(tasks.settings.data_dir)
        self.slots = Slots(lambda: tasks.config.current.max_parallel)
        self.egress = Egress(tasks.engine, self.instance)
        self._launches = itertools.count(1)
        self._owner: dict[str, int] = {}  # task id -> the launch that may run it

    def launch(self, task: Task, prompt: str, session_id: str | None) -> None:
        launch = next(self._launches)
        self._owner[task.id] = launch
        self.tasks.spawn(self._run(task.id, prompt, session_id, launch))

    async def _wanted(self, task_id: str, launch: int) -> bool:
        """Whether this launch still owns the task: a cancel, retry and start while
        it waited (for an image, a slot, the engine) hands the task to a newer one."""
        if self._owner.get(task_id) != launch:
            return False
        return (await self.tasks.get(task_id)).status == Status.IN_PROGRESS

    async def stop(self, task: Task) -> None:
        """Kill and remove the task's container; its stream then ends by itself."""
        if task.container_id:
            await self.tasks.io(self.tasks.engine.remove, task.container_id)

    def _adapter(self, agent: str) -> Adapter:
        return agents.adapter(agent, self.tasks.config.current.codex_prices)

    async def _image(self, task_id: str, launch: int, name: str) -> str | None:
        """An agent's image (or the proxy's), waiting with a note while it is prepared;
        None when the task was failed for want of it, or cancelled meanwhile."""
        images = self.tasks.images
        what = "egress proxy" if name == EGRESS else f"{name} sandbox"

        async def ready() -> str:
            if not images.is_ready(name):
                await self.tasks.note(task_id, "system", message=f"preparing the {what} image")
            return await images.ready(name)

        try:
            return await self._with_engine(task_id, launch, ready)
        except RunnerError as exc:
            await self._fail(task_id, f"the {what} image is not available: {exc}")
            return None

    async def _with_engine(
        self, task_id: str, launch: int, step: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Run a step of a task's run that needs the engine; None if it was cancelled
        while waiting for the engine to return."""

        async def note() -> None:
            await self.tasks.note(
                task_id,
                "system",
                message="the container engine is unreachable; waiting for it to return",
            )

        return await self._until_engine(step, note, lambda: self._wanted(task_id, launch))

    async def _until_engine(
        self,
        step: Callable[[], Awaitable[T]],
        note: Callable[[], Awaitable[None]],
        wanted: Callable[[], Awaitable[bool]],
    ) -> T | None:
        """Retry ``step`` while the engine is unreachable, noting it once.

        Everything that finds the engine gone waits the same way (a circuit
        breaker in effect), so a broken runtime does not fail the board task
        by task; only after ENGINE_WAIT_S does it give up (RuntimeUnavailable).
        None: ``wanted`` said the wait is no longer wanted.
        """
        deadline = time.monotonic() + ENGINE_WAIT_S
        noted = False
        while True:
            try:
                return await step()
            except RuntimeUnavailable:
                if time.monotonic() > deadline:
                    raise
                if not noted:
                    await note()
                    noted = True
            await asyncio.sleep(ENGINE_RETRY_S)
            if not await wanted():
                return None

    async def _run(self, task_id: str, prompt: str, session_id: str | None, launch: int) -> None:
        try:
            await self._run_once(task_id, prompt, session_id, launch)
        except Exception as exc:  # a bug or an engine answer we did not foresee
            log.exception("run of task %s failed", task_id[:8])
            if await self._wanted(task_id, launch):
                await self._fail(task_id, f"the run failed unexpectedly: {exc}")
        finally:
            if self._owner.get(task_id) == launch:
                del self._owner[task_id]

    async def _run_once(
        self, task_id: str, prompt: str, session_id: str | None, launch: int
    ) -> None:
        tasks, io = self.tasks, self.tasks.io
        task = await tasks.get(task_id)
        proxied = tasks.config.current.egress == "allowlist"
        image = await self._image(task_id, launch, task.agent)
        proxy_image = await self._image(task_id, launch, EGRESS) if proxied else ""
        if image is None or proxy_image is None:
            return
        if self.slots.full():
            limit = tasks.config.current.max_parallel
            await tasks.note(
                task_id, "system", message=f"queued: {limit} tasks are already running"
            )
        async with self.slots:
            config = tasks.config.current
            if not await self._wanted(task_id, launch):
                return
            task = await tasks.get(task_id)
            try:
                repo = await io(repos.inspect_repo, task.repo)
                adapter = self._adapter(task.agent)
                env = await io(tasks.config.env)
                request = launch_.Request(
                    task_id=task.id,
                    instance=self.instance,
                    image=image,
                    proxy_image=proxy_image,
                    args=adapter.args(prompt, session_id, task.model or None),
                    repo=repo,
                    base_branch=task.base_branch or repo.default_branch,
                )
                prepared = await self._with_engine(
                    task_id,
                    launch,
                    lambda: io(
                        launch_.prepare,
                        tasks.settings,
                        tasks.engine,
                        self.egress,
                        config,
                        env,
                        adapter,
                        request,
                    ),
                )
                if prepared is None:
                    return
                ws, spec = prepared.workspace, prepared.spec
                task = await tasks.update(
                    task_id,
                    base_branch=request.base_branch,
                    branch=ws.branch,
                    worktree=str(ws.path),
                    base_commit=task.base_commit or ws.base_commit,
                )
                started = time.monotonic()
                since = time.time()
                launched = await self._with_engine(
                    task_id, launch, lambda: io(self._start, spec, prepared.proxied)
                )
                if launched is None:
                    return
                container_id, lines, address = launched
                tasks.metrics.container_start.observe(time.monotonic() - started)
                tasks.metrics.runs_started.inc()
            except RunnerError as exc:
                await self._fail(task_id, str(exc))
                return
            task = await tasks.update(task_id, container_id=container_id, run_lines=0)
            if task.status != Status.IN_PROGRESS:  # cancelled while we were starting
                await io(tasks.engine.remove, container_id)
                return
            if address:
                tasks.spawn(self._report_refusals(task_id, container_id, address, since))
            parse = adapter.parser(task.model or None)
            await self._follow(task_id, container_id, lines, parse, 0, config.timeout_s)

    def _start(self, spec: RunSpec, proxied: bool) -> tuple[str, Iterator[str], str | None]:
        """Start the container; behind the proxy, also its address there, read at once:
        a container that has stopped no longer has one."""
        container_id, lines = self.tasks.engine.run(spec)
        address = self.egress.container_ip(container_id) if proxied else None
        return container_id, lines, address

    async def _report_refusals(
        self, task_id: str, container_id: str, ip: str, since: float
    ) -> None:
        """Show the task, while it runs, each request the egress proxy refused it."""
        io = self.tasks.io
        while True:
            await asyncio.sleep(REFUSALS_EVERY_S)
            running = (await self.tasks.get(task_id)).container_id == container_id
            found = await io(self.egress.denied, since)
            for refused in found:
                if refused.client_ip == ip:
                    await self.tasks.note(
                        task_id,
                        "system",
                        message=f"the egress proxy refused {refused.host}; if the task "
                        "needs it, add it to the allowed hosts in the settings",
                    )
            since = max([since, *(refused.at + 1e-6 for refused in found)])
            if not running:
                return

    async def _follow(
        self,
        task_id: str,
        container_id: str,
        lines: Iterator[str],
        parse: Parser,
        skip: int,
        timeout_s: float,
    ) -> None:
        """Consume the container's output to its end, then decide where the task goes."""
        tasks = self.tasks
        loop = asyncio.get_running_loop()
        state = RunState()
        store, config = tasks.store, tasks.config  # the redactor follows env edits

        def consume() -> Exit:
            count = skip
            for line in lines:
                count += 1
                events = parse(line)
                output.record(store, config.redactor, task_id, events, line, count, state)
                loop.call_soon_threadsafe(tasks.hub.task_changed, task_id)
            return tasks.engine.wait(container_id)

        ended = tasks.io.stream(f"run-{task_id[:8]}", consume)
        exit_: Exit | None = None
        try:
            exit_ = await asyncio.wait_for(asyncio.shield(ended), timeout=timeout_s)
        except TimeoutError:
            state.timed_out = timeout_s
            tasks.metrics.runs_timed_out.inc()
            await tasks.io(tasks.engine.remove, container_id)
            await asyncio.gather(ended, return_exceptions=True)
        except RuntimeUnavailable as exc:
            state.lost = str(exc)
        except Exception as exc:  # e.g. the container was removed behind our back
            log.exception("following container %s failed", container_id[:12])
            state.lost = f"lost the agent's container: {exc}"
        try:
            await tasks.io(tasks.engine.remove, container_id)
        except RunnerError as exc:
            log.warning("could not remove container %s: %s", container_id[:12], exc)
        task = await tasks.update(task_id, container_id="")
        unreported = state.unreported()
        if unreported is not None:  # a killed run still cost what its replies used
            await tasks.io(tasks.store.record_turn, task_id, task.session_id, unreported, True)
        await self._conclude(task_id, state, exit_)

    async def _conclude(self, task_id: str, state: RunState, exit_: Exit | None) -> None:
        task = await self.tasks.get(task_id)
        if task.status != Status.IN_PROGRESS:  # cancelled: nothing more to say
            return
        result = state.result
        if state.timed_out:
            minutes = state.timed_out / 60
            await self._fail(task_id, f"timed out after {minutes:g} minutes; resume to continue")
        elif exit_ is None:
            await self._fail(task_id, state.lost or "the run ended without an exit status")
        elif result is not None and not result.is_error and exit_.code == 0:
            await self._finish(task_id, state)
        elif result is not None and result.is_error:
            detail = result.text or result.subtype or "no detail"
            await self._fail(task_id, f"the agent reported an error: {detail}")
        elif exit_.oom_killed:
            limit = self.tasks.config.current.memory or "the engine's"
            await self._fail(task_id, f"the agent ran out of memory ({limit} limit)")
        elif exit_.code != 0:
            tail = f": {exit_.stderr_tail}" if exit_.stderr_tail else ""
            await self._fail(task_id, f"the agent exited with code {exit_.code}{tail}")
        else:
            await self._fail(task_id, "the agent exited without a result")

    async def _finish(self, task_id: str, state: RunState) -> None:
        """Review is next; the reason says plainly when the run achieved nothing."""
        changed = (await self.tasks.diff(task_id)).files
        if state.tool_results and state.tool_errors == state.tool_results:
            reason = f"awaiting review: all {state.tool_results} tool calls failed"
        elif not changed:
            reason = "awaiting review: the run changed no files"
        else:
            reason = "awaiting review"
        if reason != "awaiting review":
            await self.tasks.note(task_id, "system", message=reason.partition(": ")[2])
        await self.tasks.move(task_id, Action.FINISH, reason)

    async def _fail(self, task_id: str, reason: str) -> None:
        self.tasks.metrics.runs_failed.inc()
        await self.tasks.note(task_id, "error", message=reason)
        await self.tasks.move(task_id, Action.FAIL, reason, error=reason)

    async def recover(self) -> None:
        """Reattach to containers that outlived the last process; settle the rest."""
        tasks = self.tasks
        running, _ = await tasks.io(tasks.store.list_tasks, [Status.IN_PROGRESS], 100_000)
        if not running:
            return

        async def note() -> None:  # the engine may start after us (Docker Desktop at login)
            for task in running:
                await tasks.note(
                    task.id, "system", message="waiting for the container engine to reattach"
                )

        async def always() -> bool:
            return True

        try:
            found = await self._until_engine(
                lambda: tasks.io(tasks.engine.list, self.instance), note, always
            )
        except RuntimeUnavailable:
            for task in running:
                await self._fail(task.id, "the container engine was unreachable after a restart")
            return
        assert found is not None
        containers = {c.task_id: c for c in found}
        for task in running:
            container = containers.pop(task.id, None)
            if container is not None:
                await tasks.note(task.id, "system", message="reattached after a restart")
                tasks.spawn(self._reattach(task.id, container.id, task.run_lines))
            elif not task.container_id:
                await self._fail(task.id, "interrupted before its container started; resume it")
            else:
                await self._settle_lost(task)
        for orphan in containers.values():
            log.info("removing orphan container %s", orphan.id[:12])
            await tasks.io(tasks.engine.remove, orphan.id)

    async def _reattach(self, task_id: str, container_id: str, skip: int) -> None:
        async with self.slots:
            task = await self.tasks.get(task_id)
            lines = self.tasks.engine.stream(container_id, skip)
            parse = self._adapter(task.agent).parser(task.model or None, task.session_id)
            timeout_s = self.tasks.config.current.timeout_s
            await self._follow(task_id, container_id, lines, parse, skip, timeout_s)

    async def _settle_lost(self, task: Task) -> None:
        """The container vanished while we were down: trust its last stored result."""
        last = await self.tasks.io(self.tasks.store.last_event, task.id, "output")
        kinds = [
            e for e in (last.data.get("events", []) if last else []) if e.get("kind") == "result"
        ]
        await self.tasks.update(task.id, container_id="")
        if kinds and not kinds[-1].get("is_error"):
            await self.tasks.move(
                task.id, Action.FINISH, "the run finished while Wallfacer was not running"
            )
        else:
            await self._fail(
                task.id, "the container disappeared while Wallfacer was not running; resume it"
            )
