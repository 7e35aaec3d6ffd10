"""The server's parts, built in one place, in dependency order, and closed in reverse.

``open`` is the one place that knows how the parts fit: each part is handed
exactly what it uses, so none of them reaches for another through a third.
``server.app`` runs ``open`` and ``close`` as one aiohttp cleanup context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.backends import open_egress, open_engine
from runner.containers import Engine
from runner.errors import RunnerError
from server.ahead import Ahead
from server.attempts import Attempts
from server.autopilot import Autopilot
from server.blocking import Blocking
from server.config import ConfigStore
from server.events import Hub
from server.helpers import Helpers
from server.images import EGRESS, Images
from server.jobs import Jobs
from server.lag import LagProbe
from server.landing import Landing
from server.launch import Host
from server.lifecycle import Lifecycle
from server.pool import WorkspacePool
from server.previews import Previews
from server.recovery import Recovery
from server.remotes import Remotes
from server.rounds import Rounds
from server.runs import Runs
from server.settings import Settings
from server.side import SideSessions
from server.states import Status
from server.store import Store
from server.tasks import Tasks
from server.templates import Templates
from server.verify import Verifier

if TYPE_CHECKING:
    from server.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    io: Blocking
    store: Store
    hub: Hub
    engine: Engine
    config: ConfigStore
    jobs: Jobs
    life: Lifecycle
    images: Images
    ahead: Ahead
    runs: Runs
    tasks: Tasks
    attempts: Attempts
    recovery: Recovery
    remotes: Remotes
    lag: LagProbe
    templates: Templates
    verifier: Verifier
    previews: Previews
    _metrics: Metrics | None = field(default=None, repr=False)

    @property
    def metrics(self) -> Metrics:
        """Made on first use: prometheus_client alone costs ~10 MB of an idle server."""
        if self._metrics is None:
            from server.metrics import Metrics

            self._metrics = Metrics(self.store, self.hub, self.lag)
        return self._metrics

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Build every part (the store opens off the loop) and start the background work:
        the event-loop lag probe, recovery after a restart, removing what preparations
        left, the workspace pool, the default agent's image, and the autopilot."""
        io = Blocking()
        store = await io(Store, settings.db_path)
        config = await io(ConfigStore, settings.data_dir, settings.config, settings.pinned)
        engine = open_engine(
            settings.backend,
            settings.advertise_url,
            settings.constraints,
            settings.node_engines,
            settings.data_dir / "ship-marks",
            settings.namespace,
        )
        hub, jobs = Hub(), Jobs()
        life = Lifecycle(store, hub, io, lambda: config.redactor)
        images = Images(life, engine, config, jobs, settings.image_base, settings.agent_binaries)
        services: Services

        def metrics() -> Metrics:
            return services.metrics

        egress = open_egress(engine, settings.instance)
        pool = WorkspacePool(
            settings.pool_dir, settings.instance, store, config, engine, images, io
        )
        host = Host(settings, engine, egress)
        ahead = Ahead(life, host, config, images, jobs, pool.take)
        runs = Runs(life, host, ahead, config, images, jobs, metrics)
        landing = Landing(life, metrics, pool, Rounds(life, runs, config), jobs)
        runs.round_ended = landing.round_ended
        side = SideSessions(life, host, config, images)
        helpers = Helpers(life, side, config, jobs)
        tasks = Tasks(life, config, runs, ahead, landing, jobs, settings.homes_dir, pool, helpers)
        verifier = Verifier(tasks, side, config, jobs)
        runs.run_finished = verifier.finished
        attempts = Attempts(tasks)
        landing.on_landed = attempts.landed
        recovery = Recovery(life, engine, runs, landing, jobs)
        remotes = Remotes(store, io)
        lag = LagProbe()
        previews = Previews(life, engine, jobs, settings)
        services = cls(
            settings,
            io,
            store,
            hub,
            engine,
            config,
            jobs,
            life,
            images,
            ahead,
            runs,
            tasks,
            attempts,
            recovery,
            remotes,
            lag,
            Templates(store, io),
            verifier,
            previews,
        )
        for repo in settings.repos:
            await io(store.add_repo, str(repo))
        jobs.spawn(lag.run())
        jobs.spawn(recovery.recover())
        jobs.spawn(ahead.sweep())
        jobs.spawn(side.sweep())
        await io(store.interrupted_verdicts)  # no verifier runs yet
        jobs.spawn(pool.run())
        jobs.spawn(services._prepare_default_image())
        jobs.spawn(Autopilot(tasks, hub).run())
        return services

    async def _prepare_default_image(self) -> None:
        """Have the default agent's image (and the egress proxy's) ready before the first
        task needs it."""
        wanted = [self.config.current.default_agent]
        if self.config.current.egress == "allowlist":
            wanted.append(EGRESS)
        for name in wanted:
            with contextlib.suppress(RunnerError):  # shown in the header; retried on demand
                await self.images.prepare(name)

    async def close(self) -> None:
        """In reverse: the previews, containers made ahead, background work, then the
        worker threads, the engine's connections and the store.

        Running containers are left alone; the next start reattaches to them.
        """
        await self.previews.close()
        await self.ahead.close()
        self.runs.close()
        await self.jobs.close()
        tasks, _ = await self.io(self.store.list_tasks, [Status.IN_PROGRESS], 100_000)
        live = sum(1 for t in tasks if t.container_id)
        if live:
            log.info("leaving %d task container(s) running; reattached on the next start", live)
        self.io.shutdown()  # queued calls are dropped; none is awaited any more
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.engine.close)
        await loop.run_in_executor(None, self.store.close)
