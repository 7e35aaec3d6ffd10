"""The workspace pool follows its setting, and a restart clears what a crash left."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.polling import until
from tests.server_process import ServerProcess


def entries(data: Path) -> list[str]:
    return sorted(p.name for p in data.glob("pool/*/*"))


def ready(data: Path) -> int:
    return sum(name.startswith("ready-") and "." not in name for name in entries(data))


@pytest.mark.usefixtures("quick_pool")
def test_the_pool_fills_to_its_size_and_drains_at_zero(bare_server: ServerProcess) -> None:
    data = bare_server.data_dir
    until("one ready workspace, the default", lambda: ready(data) == 1)
    bare_server.api("PUT", "/api/config", {"workspace_pool": 2})
    until("a second one", lambda: ready(data) == 2)
    bare_server.api("PUT", "/api/config", {"workspace_pool": 0})
    until("none", lambda: entries(data) == [])


@pytest.mark.usefixtures("quick_pool")
def test_a_restart_removes_what_a_crash_cut_short(bare_server: ServerProcess) -> None:
    data = bare_server.data_dir
    until("one ready workspace", lambda: ready(data) == 1)
    bare_server.stop()
    (folder,) = data.glob("pool/*")
    (folder / "ready-cut-short.new" / "src").mkdir(parents=True)
    (data / "pool" / "0123456789abcdef" / "ready-of-a-repo-gone").mkdir(parents=True)
    bare_server.start()
    until("only the ready one", lambda: sorted(data.glob("pool/*")) == [folder])
    until("no leftover", lambda: ready(data) == 1 and len(entries(data)) == 1)
