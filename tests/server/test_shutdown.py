"""Stopping the server leaves nothing behind: no pending task, no open store, no warning."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import warnings
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.api.common import SERVICES
from server.app import build_app
from server.config import RuntimeConfig
from server.settings import Settings
from tests import aio
from tests.gitrepo import make_repo


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
