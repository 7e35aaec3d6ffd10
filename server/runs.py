"""Running an agent: one container per run, its output streamed into the store live.

A run holds one of ``max_parallel`` slots from the moment it needs a container
until the container is gone. Output is read on the run's own threads, appended
to the store in batches of the lines that have arrived (never held whole) and
published to live clients.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from runner import agents, brief
from runner.agents import Adapter
from runner.containers import Exit
from runner.errors import RunnerError, RuntimeUnavailable
from runner.runspec import RunSpec
from server import briefing, checkouts, outage, outcomes, output
from server import launch as launch_
from server.ahead import Ahead
from server.config import ConfigStore
from server.images import EGRESS, Images
from server.jobs import Jobs
from server.lifecycle import Lifecycle
from server.model import Task
from server.output import Parser, RunState
from server.slots import Slots
from server.states import Action, Status

if TYPE_CHECKING:
    from server.metrics import Metrics

log = logging.getLogger(__name__)

# How long a run waits for an unreachable engine before it gives up, and how often it looks.
# How often a task waiting for a failed image looks for another attempt (or its cancel).
IMAGE_RETRY_S = 1.0
# How often a running task behind the egress proxy is told what the proxy refused.
REFUSALS_EVERY_S = 2.0
T = TypeVar("T")


class Runs:
    RESUME_PROMPT = "Continue where you left off."

    def __init__(
        self,
        life: Lifecycle,
        host: launch_.Host,
        ahead: Ahead,
        config: ConfigStore,
        images: Images,
        jobs: Jobs,
        metrics: Callable[[], Metrics],
    ) -> None:
        self.life = life
        self.host = host
        self.ahead = ahead
        self.config = config
        self.images = images
        self.jobs = jobs
        self._metrics = metrics
        self.instance = host.settings.instance
        self.slots: Slots[tuple[str, int]] = Slots(lambda: config.current.max_parallel)
        self._launches = itertools.count(1)
        self._owner: dict[str, int] = {}  # task id -> the launch that may run it
        # Set at shutdown: output threads stop writing to a store about to close.
        self._closing = threading.Event()
        # Told when a conflict round's run ended cleanly, to accept again: the
        # landing's, which starts rounds through these runs, so it comes later.
        self.round_ended: Callable[[str], Awaitable[None]] | None = None
        # Told, off the run's path, of each run that ended in waiting (auto-test).
        self.run_finished: Callable[[str], Coroutine[Any, Any, None]] | None = None

    def close(self) -> None:
        """Stop recording output; the containers run on and are reattached next start."""
        self._closing.set()

    def launch(self, task: Task, prompt: str, session_id: str | None) -> None:
        launch = next(self._launches)
        self._owner[task.id] = launch
        self.jobs.spawn(self._run(task.id, prompt, session_id, launch))

    async def queue(self) -> list[str]:
        """The tasks waiting for a slot, the next to start first; a launch that a
        cancel or a newer start made moot still holds its place, but is left out."""
        return [
            task_id for task_id, launch in self.slots.queue() if await self._wanted(task_id, launch)
        ]

    async def _wanted(self, task_id: str, launch: int) -> bool:
        """Whether this launch still owns the task: a cancel, retry and start while
        it waited (for an image, a slot, the engine) hands the task to a newer one."""
        if self._owner.get(task_id) != launch:
            return False
        return (await self.life.get(task_id)).status == Status.IN_PROGRESS

    async def stop(self, task: Task) -> None:
        """Kill and remove the task's container; its stream then ends by itself."""
        if task.container_id:
            await self.life.io(self.host.engine.remove, task.container_id)

    def _adapter(self, agent: str) -> Adapter:
        return agents.adapter(agent, self.config.current.prices)

    async def _image(self, task_id: str, launch: int, name: str) -> str | None:
        """An agent's image (or the proxy's), waiting with a note while it is prepared,
        and after a failure until an attempt succeeds (Retry in the header, or another
        image in the settings); None when the task was cancelled meanwhile."""
        images = self.images
        what = "egress proxy" if name == EGRESS else f"{name} sandbox"

        async def ready() -> str:
            if not images.is_ready(name):
                await self.life.note(task_id, "system", message=f"preparing the {what} image")
            return await images.ready(name)

        while True:
            try:
                return await self._with_engine(task_id, launch, ready)
            except RunnerError as exc:
                await self.life.note(
                    task_id,
                    "error",
                    message=f"the {what} image is not available: {exc}. The task waits "
                    "for it: see the image in the header for what to do, then Retry there.",
                )
            while images.failed(name):  # until someone tries again
                await asyncio.sleep(IMAGE_RETRY_S)
                if not await self._wanted(task_id, launch):
                    return None
            if not await self._wanted(task_id, launch):
                return None

    async def _with_engine(
        self, task_id: str, launch: int, step: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Run a step of a task's run that needs the engine; None if it was cancelled
        while waiting for the engine to return."""

        return await outage.until_engine(
            step, lambda: self._engine_gone(task_id), lambda: self._wanted(task_id, launch)
        )

    async def _engine_gone(self, task_id: str) -> None:
        await self.life.note(
            task_id,
            "system",
            message="the container engine is unreachable; waiting for it to return",
        )

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
        life, io, metrics = self.life, self.life.io, self._metrics()
        task = await life.get(task_id)
        proxied = self.config.current.egress == "allowlist"
        image = await self._image(task_id, launch, task.agent)
        proxy_image = await self._image(task_id, launch, EGRESS) if proxied else ""
        if image is None or proxy_image is None:
            return
        key = (task_id, launch)
        if self.slots.full() or self.slots.queue():
            limit = self.config.current.max_parallel
            await life.note(task_id, "system", message=f"queued: {limit} tasks may run at once")
        async with self.slots.hold(key):
            config = self.config.current
            if not await self._wanted(task_id, launch):
                return
            task = await life.get(task_id)
            try:
                adapter = self._adapter(task.agent)
                env = await io(self.config.env)
                args = adapter.args(prompt, session_id, task.model or None)
                request = await io(launch_.request, task, self.instance, image, proxy_image, args)
                made = await self.ahead.take(adapter, request, env, config)
                prepared = (
                    made.prepared
                    if made
                    else await self._with_engine(
                        task_id,
                        launch,
                        lambda: io(self.ahead.launch_spec, adapter, request, env, config),
                    )
                )
                if prepared is None:
                    return
                for note in prepared.notes:
                    await life.note(task_id, "system", message=note)
                ws, spec = prepared.workspace, prepared.spec
                task = await life.update(
                    task_id,
                    base_branch=request.base_branch,
                    branch=ws.branch,
                    worktree=str(ws.path),
                    # The task branch's tip: a sync or a conflict round moves it with the
                    # base; a retry after a cancel makes it afresh from the head.
                    base_commit=ws.base_commit,
                    also=launch_.recorded(task, request, prepared),
                )
                started = time.monotonic()
                since = time.time()
                created = made.container_id if made else None
                launched = await self._with_engine(
                    task_id, launch, lambda: io(self._start, task, ws.root, spec, created)
                )
                if launched is None:
                    return
                container_id, lines = launched
                metrics.container_start.observe(time.monotonic() - started)
                metrics.runs_started.inc()
            except RunnerError as exc:
                await self._fail(task_id, str(exc))
                return
            task = await life.update(task_id, container_id=container_id, run_lines=0)
            if task.status != Status.IN_PROGRESS:  # cancelled while we were starting
                await io(self.host.engine.remove, container_id)
                return
            if prepared.proxied:
                self.jobs.spawn(self._report_refusals(task_id, container_id, since))
            parse = adapter.parser(task.model or None)
            await self._follow(task_id, container_id, lines, parse, 0, config.timeout_s)

    def _start(
        self, task: Task, root: Path, spec: RunSpec, created: str | None
    ) -> tuple[str, Iterator[str]]:
        """Start the container: ``created``, the one made ahead, or a new one; first
        board.json is written as the board is now (``root``: the task's folder)."""
        tasks, _ = self.life.store.list_tasks(
            None, briefing.MAX_BOARD_TASKS, repos=[task.repo], archived=False
        )
        brief.write(root, brief.BOARD, briefing.board(task, tasks))
        container_id = created or self.host.engine.create(spec)
        return container_id, self.host.engine.start(container_id)

    async def _report_refusals(self, task_id: str, container_id: str, since: float) -> None:
        """Show the task, while it runs, each request the egress proxy refused it.

        Its address there is read at once, beside the output being followed (a
        container that has stopped no longer has one)."""
        io = self.life.io
        ip = await io(self.host.egress.container_ip, container_id)
        if ip is None:
            return
        while True:
            await asyncio.sleep(REFUSALS_EVERY_S)
            running = (await self.life.get(task_id)).container_id == container_id
            found = await io(self.host.egress.denied, since)
            for refused in found:
                if refused.client_ip == ip:
                    await self.life.note(
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
        life, io = self.life, self.life.io
        loop = asyncio.get_running_loop()
        state = RunState()
        store, config, closing = life.store, self.config, self._closing

        recorder = output.Recorder(store, task_id, parse, state, skip)

        def changed() -> None:
            loop.call_soon_threadsafe(life.hub.task_changed, task_id)

        def consume(stream: Iterator[str]) -> Exit | None:
            if not recorder.follow(stream, config, closing, changed):
                return None
            return self.host.engine.wait(container_id)

        deadline = loop.time() + timeout_s
        exit_: Exit | None = None
        while True:
            ended = io.stream(f"run-{task_id[:8]}", functools.partial(consume, lines))
            try:
                async with asyncio.timeout_at(deadline):
                    exit_ = await asyncio.shield(ended)
            except TimeoutError:
                state.timed_out = timeout_s
                self._metrics().runs_timed_out.inc()
                await io(self.host.engine.remove, container_id)
                await asyncio.gather(ended, return_exceptions=True)
            except RuntimeUnavailable as exc:
                if await self._outlived(task_id, container_id):  # followed again, from its line
                    state.interrupted = "the container engine restarted during the run"
                    lines = self.host.engine.stream(container_id, recorder.lines)
                    continue
                state.lost = str(exc)
            except Exception as exc:  # e.g. the container was removed behind our back
                if (await life.get(task_id)).status == Status.IN_PROGRESS:  # not a cancel's
                    log.exception("following container %s failed", container_id[:12])
                state.lost = f"lost the agent's container: {exc}"
            break
        try:
            await io(self.host.engine.remove, container_id)
        except RunnerError as exc:
            log.warning("could not remove container %s: %s", container_id[:12], exc)
        task = await life.update(task_id, container_id="")
        unreported = state.unreported()
        if unreported is not None:  # a killed run still cost what its replies used
            await io(life.store.record_turn, task_id, task.session_id, unreported, True)
            life.hub.task_changed(task_id)  # a cancel moved the task before this was known
        await self._conclude(task_id, state, exit_)

    async def _outlived(self, task_id: str, container_id: str) -> bool:
        """Whether a run's container is still there once the engine is back (waited
        for as any step is): a restart with live-restore leaves it running, one
        without leaves it stopped, with its log; either way it is read to its end."""

        async def wanted() -> bool:
            return (await self.life.get(task_id)).status == Status.IN_PROGRESS

        try:
            found = await outage.until_engine(
                lambda: self.life.io(self.host.engine.exists, container_id),
                lambda: self._engine_gone(task_id),
                wanted,
            )
        except RuntimeUnavailable:
            return False
        return bool(found)

    async def _conclude(self, task_id: str, state: RunState, exit_: Exit | None) -> None:
        task = await self.life.get(task_id)
        if task.status != Status.IN_PROGRESS:  # cancelled: nothing more to say
            return
        changed: list[str] = []
        if exit_ is not None and exit_.code == 0 and state.result and not state.result.is_error:
            try:
                changed = await self.life.io(checkouts.changed_files, task)
            except RunnerError as exc:  # e.g. the repository was deleted meanwhile
                await self._fail(task_id, str(exc))
                return
        memory = self.config.current.memory
        await self.conclude(task_id, outcomes.concluded(state, exit_, changed, memory))

    async def conclude(self, task_id: str, outcome: outcomes.Outcome) -> None:
        """Move the task where the run left it, with the reason in its log."""
        if outcome.action == Action.FAIL:
            self._metrics().runs_failed.inc()
            await self.life.note(task_id, "error", message=outcome.reason)
            await self.life.move(task_id, Action.FAIL, outcome.reason, error=outcome.reason)
            return
        if self.round_ended and (await self.life.get(task_id)).conflict_round:
            await self.round_ended(task_id)
            return
        if outcome.note:
            await self.life.note(task_id, "system", message=outcome.note)
        await self.life.move(task_id, outcome.action, outcome.reason)
        if outcome.action == Action.FINISH and self.run_finished is not None:
            self.jobs.spawn(self.run_finished(task_id))

    async def _fail(self, task_id: str, reason: str) -> None:
        await self.conclude(task_id, outcomes.Outcome(Action.FAIL, reason))

    async def reattach(self, task_id: str, container_id: str, skip: int) -> None:
        """Follow a container that outlived the last process, from the line it was at."""
        async with self.slots.hold((task_id, 0)):
            task = await self.life.get(task_id)
            lines = self.host.engine.stream(container_id, skip)
            parse = self._adapter(task.agent).parser(task.model or None, task.session_id)
            timeout_s = self.config.current.timeout_s
            await self._follow(task_id, container_id, lines, parse, skip, timeout_s)
