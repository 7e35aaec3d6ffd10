"""Settings saved under the names they had before the agent registry still load."""

from __future__ import annotations

import json
from pathlib import Path

from tests.server_process import ServerProcess


def test_settings_saved_under_their_old_names_still_load(tmp_path: Path, repo: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    prices = {"default": {"input": 2.0, "cached_input": 0.5, "output": 8.0}}
    saved = {"image": "mine/claude:1", "codex_image": "mine/codex:1", "codex_prices": prices}
    (data / "config.json").write_text(json.dumps({**saved, "max_parallel": 3}))

    server = ServerProcess(data, [repo], image="flag/claude:1")  # --image: still Claude's
    server.start()
    try:
        config = server.api("GET", "/api/config")
        assert config["images"] == {"claude": "flag/claude:1", "codex": "mine/codex:1"}
        assert config["prices"] == {"codex": prices} and config["max_parallel"] == 3
        server.api("PUT", "/api/config", {"images": {"codex": ""}})  # back to the bundled one
    finally:
        server.stop()
    assert json.loads((data / "config.json").read_text()) == {
        "max_parallel": 3,
        "images": {"claude": "mine/claude:1", "codex": ""},  # the flag's value is not saved
        "prices": {"codex": prices},
    }

    server.image = None  # no --image: the saved one applies
    server.start()
    try:
        assert server.api("GET", "/api/config")["images"]["claude"] == "mine/claude:1"
        assert server.api("GET", "/api/config")["pinned"] == ["egress"]
    finally:
        server.stop()
