"""Every list of agents the server keeps comes from the registry, and settings
saved under the names they had before it still load."""

from __future__ import annotations

import json
from pathlib import Path

from tests.server_process import ServerProcess
from tests.third_agent import CLAUDE_IMAGE, NAME, TITLE


def test_a_third_agent_in_the_registry_is_listed_everywhere(
    third_agent_server: ServerProcess,
) -> None:
    server = third_agent_server
    config = server.api("GET", "/api/config")
    assert list(config["agents"]) == ["claude", "codex", NAME]
    echo = config["agents"][NAME]
    assert (echo["title"], echo["credentials"], echo["endpoint"]) == (
        TITLE,
        ["ECHO_API_KEY"],
        "ECHO_BASE_URL",
    )
    assert "ECHO_API_KEY" in echo["missing"]
    assert echo["image"].startswith(f"wallfacer-{NAME}:"), "the bundled image it would run"
    assert config["agents"]["claude"]["image"] == CLAUDE_IMAGE, "the configured one"
    assert "claude setup-token" in config["agents"]["claude"]["help"]
    assert config["images"] == {"claude": CLAUDE_IMAGE, "codex": "", NAME: ""}
    assert list(config["prices"]) == ["codex", NAME], "Claude prints its own cost"
    assert config["pinned"] == ["egress", "images.claude"]

    images = {i["agent"]: i for i in server.api("GET", "/api/images")["images"]}
    assert list(images) == ["claude", "codex", NAME, "egress"]
    assert images[NAME]["image"].startswith(f"wallfacer-{NAME}:"), "its Dockerfile dir's tag"

    # A task may run it; without its credential it cannot start, and says which.
    task = server.create("say hi", agent=NAME)
    refused = server.request("POST", f"/api/tasks/{task['id']}/start")
    assert refused.status_code == 422 and "ECHO_API_KEY" in refused.json()["error"]
    unknown = server.request("POST", "/api/tasks", json={"prompt": "hi", "agent": "nope"})
    assert unknown.status_code == 400 and NAME in unknown.json()["error"]

    # Its settings: the default agent, its image, its prices.
    server.api("PUT", "/api/config", {"default_agent": NAME})
    assert server.create("say hi")["agent"] == NAME
    wrong = server.request("PUT", "/api/config", json={"default_agent": "nope"})
    assert wrong.status_code == 422 and NAME in wrong.json()["error"]
    table = {"default": {"input": 3.0, "cached_input": 0.3, "output": 9.0}}
    changes = {"images": {NAME: "registry.test/echo:1"}, "prices": {NAME: table}}
    server.api("PUT", "/api/config", changes)
    config = server.api("GET", "/api/config")
    assert config["images"] == {"claude": CLAUDE_IMAGE, "codex": "", NAME: "registry.test/echo:1"}
    assert config["prices"][NAME] == table and config["prices"]["codex"]["default"]
    assert config["agents"][NAME]["missing"] == "", "an image of the user's own is exempt"
    images = {i["agent"]: i for i in server.api("GET", "/api/images")["images"]}
    assert images[NAME]["image"] == "registry.test/echo:1"


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
