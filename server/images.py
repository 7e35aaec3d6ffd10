"""Making sure each agent's sandbox image exists, without the user doing anything.

The bundled image is built (or a configured registry image pulled) in the
background: at startup for the default agent, on first use for the others.
Progress goes to the board's stream; a task that needs an image still being
prepared waits for it, and after a failure waits for the next attempt. A
failure keeps the build log's tail and what to do about it for the UI, and
preparing again is one click (POST /api/images/{agent}/prepare).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runner.agents import AGENTS
from runner.containers import Engine
from runner.errors import ImageFailed, RunnerError
from runner.images import build as images
from server.config import ConfigStore
from server.jobs import Jobs
from server.lifecycle import Lifecycle

log = logging.getLogger(__name__)
# The allowlist network mode's proxy image, prepared like an agent's.
EGRESS = "egress"
IMAGES = (*AGENTS, EGRESS)
PROGRESS_EVERY_S = 0.5  # progress lines are many; the board needs a few a second


@dataclass
class ImageStatus:
    agent: str
    image: str
    state: str = "unknown"  # unknown | preparing | ready | failed
    progress: str = ""
    error: str = ""
    hint: str = ""  # after a failure: what would let the next attempt succeed
    log_tail: list[str] = field(default_factory=list)


class Images:
    def __init__(
        self,
        life: Lifecycle,
        engine: Engine,
        config: ConfigStore,
        jobs: Jobs,
        base: str | None,
        binaries: dict[str, Path],
    ) -> None:
        self.life = life
        self.engine = engine
        self.config = config
        self.jobs = jobs
        self.base = base
        self.binaries = binaries
        self._status: dict[str, ImageStatus] = {}
        self._jobs: dict[str, asyncio.Task[str]] = {}

    def image_for(self, agent: str) -> str:
        if agent == EGRESS:
            return images.bundled_tag(EGRESS, self.base)
        configured = self.config.configured_image(agent)
        return configured or images.bundled_tag(agent, self.base, self.binaries.get(agent))

    def _bundled(self, agent: str) -> bool:
        """Built here from runner/images (rather than a named image, pulled)."""
        return agent == EGRESS or not self.config.configured_image(agent)

    def status(self) -> list[dict[str, Any]]:
        out = []
        for agent in IMAGES:
            current = self._status.get(agent)
            if current is None or current.image != self.image_for(agent):
                current = ImageStatus(agent, self.image_for(agent))
            out.append(asdict(current))
        return out

    def prepare(self, agent: str) -> asyncio.Task[str]:
        """Start preparing (or join the preparation under way)."""
        job = self._jobs.get(agent)
        if job is None or job.done():
            # A failure is kept in the status, for whoever awaits the job or looks later.
            job = self.jobs.spawn(self._prepare(agent), answers=(RunnerError,))
            self._jobs[agent] = job
        return job

    def failed(self, agent: str) -> bool:
        """The last attempt at the image now wanted failed, and none is under way."""
        return self._state(agent) == "failed"

    def is_ready(self, agent: str) -> bool:
        return self._state(agent) == "ready"

    def _state(self, agent: str) -> str | None:
        """The state of the image now wanted; None before any attempt at it (the tag
        is computed only once there was one, so never first here on the loop)."""
        current = self._status.get(agent)
        if current is None or current.image != self.image_for(agent):
            return None
        return current.state

    async def ready(self, agent: str) -> str:
        """The image to run, once it exists; raises RunnerError if it cannot be made."""
        if self.is_ready(agent):
            return self.image_for(agent)
        return await asyncio.shield(self.prepare(agent))

    async def _prepare(self, agent: str) -> str:
        io, engine = self.life.io, self.engine
        ref = await io(self.image_for, agent)  # the first time, it hashes the CLI binary
        status = ImageStatus(agent, ref, "preparing", "checking")
        self._status[agent] = status
        await self._publish(status)
        try:
            base = self.base if self._bundled(agent) else None
            if not await io(images.current, engine, ref, base):
                await self._make(status)
        except RunnerError as exc:
            status.state, status.error, status.hint = "failed", str(exc), self._hint(agent)
            if isinstance(exc, ImageFailed):
                status.log_tail = exc.log_tail
            log.warning("preparing the %s image failed: %s", agent, exc)
            await self._publish(status)
            raise
        status.state, status.progress = "ready", ""
        await self._publish(status)
        return ref

    def _hint(self, agent: str) -> str:
        """The ways to a working image without the registries a bundled build needs."""
        if not self._bundled(agent):
            return f"Check that {self.image_for(agent)} exists or can be pulled, then Retry."
        ways = ["WALLFACER_IMAGE_BASE=<a local base image> to build on"]
        if agent != EGRESS:
            ways.append(f"WALLFACER_{agent.upper()}_BINARY=<a host install of its CLI> to copy in")
        return f"Offline? Restart with {' and '.join(ways)}; or fix the network, then Retry."

    async def _make(self, status: ImageStatus) -> None:
        loop = asyncio.get_running_loop()
        last = 0.0

        def progress(line: str) -> None:  # on the worker thread
            nonlocal last
            status.progress = line[-200:]
            status.log_tail = [*status.log_tail[-29:], line]
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                last = time.monotonic()
                with contextlib.suppress(RuntimeError):  # the app is shutting down
                    loop.call_soon_threadsafe(self._publish_soon, status)

        # Each on a thread of its own, as long as a run's output: a build or pull takes
        # minutes, and a quit must not wait for it.
        agent, engine = status.agent, self.engine
        if self._bundled(agent):
            binary = self.binaries.get(agent)
            make = functools.partial(images.build, engine, agent, progress, self.base, binary)
        else:
            make = functools.partial(images.pull, engine, status.image, progress)
        await self.life.io.stream(f"image-{agent}", make)

    def _publish_soon(self, status: ImageStatus) -> None:
        self.jobs.spawn(self._publish(status))

    async def _publish(self, status: ImageStatus) -> None:
        await self.life.announce("image-updated", asdict(status))
