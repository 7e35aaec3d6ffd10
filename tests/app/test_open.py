"""`wallfacer open` and a second launch reach the running instance through its
control socket: a fresh sign-in link, a repository handed over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.gitrepo import make_repo
from tests.server_process import ServerProcess, cli


@pytest.fixture
def headless(
    tmp_path: Path, repo: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    """The real app, headless, in a child process with its own runtime dir."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))  # for the commands run here too
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    server = ServerProcess(tmp_path / "data", [repo], image="wallfacer-test-never-used:0")
    server.start()
    yield server
    server.stop()


def test_open_prints_a_fresh_link_without_a_display(headless: ServerProcess) -> None:
    links = []
    for _ in range(2):
        done = cli("open", "--data-dir", str(headless.data_dir))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Open the board (this link works once): ")
        links.append(done.stdout.split()[-1])
    assert links[0] != links[1]
    for link in links:
        assert link.startswith(headless.url + "/?token=")
        signed_in = requests.get(link, allow_redirects=False, timeout=10)
        assert signed_in.headers["Location"] == "/" and "Set-Cookie" in signed_in.headers


def test_open_without_a_running_instance_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    done = cli("open", "--print", "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 1
    assert "no running Wallfacer serves" in done.stderr and "start it with" in done.stderr


def test_a_second_launch_with_a_repo_adds_it_to_the_first(
    headless: ServerProcess, tmp_path: Path
) -> None:
    other = make_repo(tmp_path / "other")
    data = str(headless.data_dir)
    done = cli("--headless", "--addr", "127.0.0.1:0", "--data-dir", data, str(other))
    assert done.returncode == 0, done.stderr
    assert f"added {other.resolve()} to the running Wallfacer" in done.stdout
    repos = [r["path"] for r in headless.api("GET", "/api/repos")["repos"]]
    assert str(other.resolve()) in repos and len(repos) == 2
