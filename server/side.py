"""Side sessions: the task's agent run beside the task, with a prompt of its own.

A verifier (``verify``) and the helpers (``helpers``) ask the task's agent a
question without touching the task: a container of its own, made by
``launch.side`` with the same hardening, network plan and egress proxy as a
run; a home of its own (removed after), so the task's session is never
resumed and its next feedback goes on where it was; no status change and no
slot, since a session is short and must not queue behind the runs it serves.

Its output is hostile input like any agent's: only the final result's text
is kept (cut to ``MAX_ANSWER_CHARS``, the env's secrets redacted), and what
it cost is recorded as a turn of the task under its activity
(``store.usage``), so the task's cost counts it and the usage page shows it
apart. A timeout kills the container; what its replies used is still
recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runner import agents, trees
from runner.agents import MessageUsage, RunResult, Usage
from runner.errors import RunnerError
from runner.runspec import RunSpec
from server import budget, launch
from server.config import ConfigStore
from server.images import EGRESS, Images
from server.lifecycle import Lifecycle
from server.model import Task
from server.output import Parser, RunState

log = logging.getLogger(__name__)
# The most of an answer kept: a verdict's reasons, a title, a commit message.
MAX_ANSWER_CHARS = 4000


class SideFailed(Exception):
    """The session gave no answer: no credentials, no image, an error, a timeout;
    ``cost_usd`` is what it spent all the same."""

    def __init__(self, reason: str, cost_usd: float = 0.0) -> None:
        super().__init__(reason)
        self.cost_usd = cost_usd


@dataclass(frozen=True)
class Answer:
    text: str
    cost_usd: float


class SideSessions:
    def __init__(
        self,
        life: Lifecycle,
        host: launch.Host,
        config: ConfigStore,
        images: Images,
    ) -> None:
        self.life = life
        self.host = host
        self.config = config
        self.images = images
        self._live: set[str] = set()  # the containers of sessions under way
        self._folders: set[Path] = set()  # and their folders

    async def ask(
        self, task: Task, activity: str, prompt: str, workspace: Path | None, timeout_s: float
    ) -> Answer:
        """The agent's final answer to ``prompt``, read-only on ``workspace`` (None: an
        empty folder); SideFailed, saying why, when there is none."""
        io, config = self.life.io, self.config
        missing = await io(config.missing, task.agent)
        if missing:
            raise SideFailed(missing)
        spent = budget.exceeded(task.usage.cost_usd, task.budget_usd)
        if spent:  # a side session is the task's spending too
            raise SideFailed(spent)
        adapter = agents.adapter(task.agent, config.current.prices)
        try:
            image = await self.images.ready(task.agent)
            allowlist = config.current.egress == "allowlist"
            proxy = await self.images.ready(EGRESS) if allowlist else ""
            env = await io(config.env)
            args = adapter.args(prompt, None, task.model or None)
            instance = self.host.settings.instance
            request = await io(launch.request, task, instance, image, proxy, args)
            current = config.current
            spec, folder = await io(
                launch.side,
                self.host,
                current,
                env,
                adapter,
                request,
                activity,
                workspace,
                tuple(task.also),  # a verifier judges the change in every repository
            )
        except RunnerError as exc:
            raise SideFailed(str(exc)) from exc
        self._folders.add(folder)
        try:
            state = await self._run(spec, adapter.parser(task.model or None), timeout_s)
        finally:
            self._folders.discard(folder)
            await io(trees.remove, folder)
        return await self._settle(task.id, activity, state)

    async def _run(self, spec: RunSpec, parse: Parser, timeout_s: float) -> RunState:
        io = self.life.io
        try:
            container_id = await io(self.host.engine.create, spec)
        except RunnerError as exc:
            raise SideFailed(str(exc)) from exc
        self._live.add(container_id)
        state = RunState()
        try:
            lines = await io(self.host.engine.start, container_id)
            reading = io.stream(f"side-{spec.task_id[:8]}", lambda: _read(lines, parse, state))
            try:
                async with asyncio.timeout(timeout_s):
                    await asyncio.shield(reading)
            except TimeoutError:
                state.timed_out = timeout_s
                await self._remove(container_id)  # which ends the reading
                await asyncio.gather(reading, return_exceptions=True)
        except RunnerError as exc:
            state.lost = str(exc)
        finally:
            if container_id in self._live:
                await self._remove(container_id)
        return state

    async def _remove(self, container_id: str) -> None:
        self._live.discard(container_id)
        try:
            await self.life.io(self.host.engine.remove, container_id)
        except RunnerError as exc:
            log.warning("could not remove container %s: %s", container_id[:12], exc)

    async def _settle(self, task_id: str, activity: str, state: RunState) -> Answer:
        """Record what the session cost, then its answer or why there is none."""
        result = state.result
        used = result.usage if result is not None else state.unreported()
        if used is not None:
            session = result.session_id if result is not None else ""
            failed = result is None or result.is_error
            await self.life.io(
                self.life.store.record_turn, task_id, session, used, failed, activity
            )
        cost = (used or Usage()).cost_usd
        if state.timed_out:
            raise SideFailed(f"no answer within {state.timed_out:g} seconds", cost)
        if result is None:
            raise SideFailed(state.lost or "the agent ended without an answer", cost)
        if result.is_error:
            raise SideFailed(f"the agent failed: {self.life.redacted(result.text[:200])}", cost)
        return Answer(self.life.redacted(result.text[:MAX_ANSWER_CHARS]), cost)

    async def sweep(self) -> None:
        """Remove what sessions cut off by a crash left: their containers (labelled
        ``<task>.<activity>``, so never taken for a run's) and folders."""
        io = self.life.io
        try:
            found = await io(self.host.engine.list, self.host.settings.instance)
        except RunnerError:
            found = []  # the engine is away: its containers are swept next start
        for container in found:
            if "." in container.task_id and container.id not in self._live:
                await io(self.host.engine.remove, container.id)
        root = self.host.settings.data_dir / "side"
        for folder in await io(lambda: list(root.iterdir()) if root.is_dir() else []):
            if folder not in self._folders:
                await io(trees.remove, folder)


def _read(lines: Iterator[str], parse: Parser, state: RunState) -> None:
    """Follow the session's output to its end, keeping its usage and result only."""
    for number, line in enumerate(lines):
        for event in parse(line):
            if isinstance(event, MessageUsage):
                state.replies[event.message_id or f"line {number}"] = event.usage
            elif isinstance(event, RunResult):
                state.result = event
