"""Stopping the server leaves nothing behind: no pending task, no open store, no warning."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import warnings
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from runner.images import build as image_builds
from server import jobs, pool
from server.api.common import SERVICES
from server.app import build_app
from server.blocking import Blocking
from server.config import RuntimeConfig
from server.services import Services
from server.settings import Settings
from tests import aio
from tests.gitrepo import make_repo
from tests.polling import until


def test_a_stopped_server_has_cancelled_its_work_and_closed_its_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path / "project")
    # An image no engine has: preparing it is background work still going at the stop.
    config = RuntimeConfig(images={"claude": "wallfacer-test-never-used:0"}, egress="none")
    settings = Settings(data_dir=tmp_path / "data", port=0, repos=(repo,), config=config)

    async def serve_then_stop() -> set[asyncio.Task[object]]:
        app = build_app(settings)
        client = TestClient(TestServer(app))
        await client.start_server()
        services = app[SERVICES]
        slow = services.jobs.spawn(asyncio.sleep(3600))
        token = settings.api_token()
        created = await client.post(
            "/api/tasks",
            json={"prompt": "left in the backlog"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status == 201, await created.text()
        await client.close()
        assert slow.cancelled()
        with pytest.raises(sqlite3.ProgrammingError):
            services.store.counts()  # closed
        current = asyncio.current_task()
        return {t for t in asyncio.all_tasks() if t is not current}

    gc.collect()  # earlier tests' garbage warns as it goes: not this server's doing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        left = aio.run(serve_then_stop())
        gc.collect()
    assert left == set(), left
    # asyncio reports a task destroyed while pending, or a crash, as an error.
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


def test_a_stop_that_meets_a_wake_of_the_pool_still_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.11's wait_for lost a cancel that came in the turn its awaitable
    finished: the pool, woken as the server stopped, looped on, and the stop hung."""
    monkeypatch.setattr(pool, "DELAY_S", 0.0)
    config = RuntimeConfig(images={"claude": "wallfacer-test-never-used:0"}, egress="none")
    settings = Settings(data_dir=tmp_path / "data", port=0, config=config)

    async def stop_as_woken() -> bool:
        services = await Services.open(settings)
        try:
            woken = pool.WorkspacePool(
                tmp_path / "pool",
                "test",
                services.store,
                services.config,
                services.engine,
                services.images,
                services.io,
            )
            job = asyncio.get_running_loop().create_task(woken.run())
            await asyncio.sleep(0.5)  # its first round done: waiting to be woken
            woken.wake()
            job.cancel()  # in the same turn
            done, _ = await asyncio.wait([job], timeout=5)
            if not done:
                job.cancel()
            return bool(done)
        finally:
            await services.close()

    assert aio.run(stop_as_woken()), "the pool went on after its cancel"


def test_work_slow_to_let_go_at_a_stop_is_named_in_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(jobs, "STUCK_S", 0.1)

    async def tidy_up_slowly() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.3)

    async def close() -> None:
        running = jobs.Jobs()
        running.spawn(tidy_up_slowly())
        await asyncio.sleep(0)
        await running.close()

    aio.run(close())
    assert "cancelled 0.1s ago: test_work_slow_to_let_go" in caplog.text, caplog.text


def test_a_stop_mid_pull_leaves_no_thread_the_exit_waits_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's exit waits for every thread that is not a daemon: an image pull (or
    build) on one kept a quit waiting for minutes."""
    pulling, pulled = threading.Event(), threading.Event()

    def a_long_pull(*_: object) -> None:  # a registry that is slow to answer
        pulling.set()
        pulled.wait(30)

    monkeypatch.setattr(image_builds, "pull", a_long_pull)
    config = RuntimeConfig(images={"claude": "wallfacer-test-never-used:0"}, egress="none")
    settings = Settings(data_dir=tmp_path / "data", port=0, config=config)
    before = set(threading.enumerate())

    def waited_for() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and not t.daemon]

    async def stop_mid_pull() -> None:
        services = await Services.open(settings)
        try:
            await asyncio.get_running_loop().run_in_executor(None, pulling.wait, 30)
        finally:
            await services.close()

    try:
        aio.run(stop_mid_pull())
        assert pulling.is_set()
        # A pool's idle threads end a moment after its shutdown.
        until("no thread the exit would wait for", lambda: not waited_for(), timeout=5)
    finally:
        pulled.set()


def test_a_long_call_whose_awaiter_was_cancelled_ends_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a stop, the awaiter of a call on its own thread is cancelled; the call's
    end (here an error) then goes to nobody, not to a raise on that thread."""
    raised: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    release = threading.Event()

    def lose_the_engine() -> None:
        release.wait(10)
        raise RuntimeError("the engine went away")

    async def cancel_its_awaiter() -> None:
        waiting = asyncio.ensure_future(Blocking().stream("test-long-call", lose_the_engine))
        await asyncio.sleep(0.05)
        waiting.cancel()

    aio.run(cancel_its_awaiter())
    (thread,) = [t for t in threading.enumerate() if t.name == "test-long-call"]
    release.set()
    thread.join(10)
    assert raised == []
