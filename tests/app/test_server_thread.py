"""The desktop's server thread: a taken port is no obstacle, and it stops cleanly."""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from app.server_thread import ServerThread
from server.config import RuntimeConfig
from server.settings import Settings


def test_a_taken_port_falls_back_to_a_free_one_and_stop_ends_the_thread(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        config = RuntimeConfig(images={"claude": "unused:0"})
        settings = Settings(data_dir=tmp_path / "data", port=taken, config=config)
        thread = ServerThread(settings)
        thread.start()
        try:
            assert not thread.url.endswith(f":{taken}")
            assert requests.get(thread.url + "/health", timeout=5).json()["status"] == "ok"
            link = thread.new_signin_url("desktop")
            assert link.startswith(thread.url + "/?token=")
        finally:
            thread.stop()
    assert not thread.alive
