"""Shared fixtures: a real engine, the sandbox image, real repos, a real server."""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.deploy.images import start_server_image
from tests.engine import build_sandbox, remove_left_by, require_docker
from tests.gitrepo import make_repo
from tests.inprocess import InProcessServer
from tests.packaging.bundle import start_bundle
from tests.scheduling import TestsOrWholeFiles
from tests.server_process import ServerProcess
from tests.sshd import SshRemote, serve_ssh
from tests.third_agent import CLAUDE_IMAGE, add_third_agent

# Tests of what a long build makes run last, so that the build overlaps the rest.
_BUILT = ("tests/packaging/", "tests/deploy/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wanted = {prefix for item in items for prefix in _BUILT if item.nodeid.startswith(prefix)}
    if "tests/packaging/" in wanted:
        start_bundle()
    if "tests/deploy/" in wanted:
        start_server_image(docker.from_env())  # fails in the test if there is no engine
    items.sort(key=lambda item: item.nodeid.startswith(_BUILT))


@pytest.hookimpl(optionalhook=True)  # with pytest-xdist only
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> TestsOrWholeFiles:
    return TestsOrWholeFiles(config, log)


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return require_docker()


@pytest.fixture(autouse=True)
def _no_containers_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the test (and its servers' stops), the runs its servers left going."""
    yield
    tmp_path = request.node.funcargs.get("tmp_path")
    if tmp_path is None:
        return
    data_dirs = [
        db.parent for db in (*tmp_path.glob("*/wallfacer.db"), *tmp_path.glob("*/*/wallfacer.db"))
    ]
    if data_dirs:
        with contextlib.suppress(docker.errors.DockerException):  # no engine: nothing left
            remove_left_by(_engine(), data_dirs)


@functools.cache
def _engine() -> docker.DockerClient:
    """One client per worker for the clean-up, made only once a test needs it (the
    ``docker_client`` fixture would require an engine of every test)."""
    return docker.from_env()


@pytest.fixture(scope="session")
def sandbox_image(docker_client: docker.DockerClient) -> str:
    return build_sandbox(docker_client)


@pytest.fixture
def unbuildable_base(docker_client: docker.DockerClient, sandbox_image: str) -> Iterator[str]:
    """A base the bundled images cannot be built on (the busybox test image: no
    apt-get), under a name of the test's own: the base's name is part of a bundled
    image's tag, so no other test, in this run or another, shares that image."""
    name = f"wallfacer-test-nobuild:{uuid.uuid4().hex[:12]}"
    docker_client.images.get(sandbox_image).tag(name)
    yield name
    docker_client.images.remove(name)


@pytest.fixture
def ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshRemote]:
    """A real sshd and ssh agent for pushes, trusted through a known_hosts of its own."""
    yield from serve_ssh(tmp_path / "ssh", monkeypatch)


@pytest.fixture
def quick_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-process server's pool waits 0.1 s after a take or a return, not 5: the
    pause that lets a start go first is not what these tests are about, and each
    refill they wait for cost them the full pause."""
    monkeypatch.setattr("server.pool.DELAY_S", 0.1)


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    """A private XDG runtime dir with a short path: a control socket's path must fit
    in about 100 bytes, which a tmp_path under a pytest-xdist worker can exceed."""
    runtime = Path(tempfile.mkdtemp(prefix="wf-rt-", dir="/tmp"))  # mode 0700
    yield runtime
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "project")


def _serving(proc: ServerProcess) -> Iterator[ServerProcess]:
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def server(tmp_path: Path, repo: Path, sandbox_image: str) -> Iterator[ServerProcess]:
    """The real app, headless, on the real engine with the fake agent image."""
    yield from _serving(InProcessServer(tmp_path / "data", [repo], image=sandbox_image))


@pytest.fixture
def open_server(tmp_path: Path, repo: Path, sandbox_image: str) -> Iterator[ServerProcess]:
    """The same with task containers on the engine's bridge, which the host reaches
    (a task's preview needs that)."""
    args = ("--egress", "open")
    yield from _serving(InProcessServer(tmp_path / "data", [repo], sandbox_image, args))


@pytest.fixture
def started() -> Iterator[Callable[[ServerProcess, str], dict[str, Any]]]:
    """Start a task and wait for it to run; whatever the test does, it is cancelled
    after, so no long run outlives its test (list the server's fixture first)."""
    made: list[tuple[ServerProcess, str]] = []

    def start(server: ServerProcess, prompt: str) -> dict[str, Any]:
        task = server.create(prompt)
        server.act(task["id"], "start")
        made.append((server, task["id"]))
        return server.wait_for(task["id"], "in_progress")

    yield start
    for server, task_id in made:
        if server.task(task_id)["status"] == "in_progress":
            server.act(task_id, "cancel")


@pytest.fixture
def child_server(tmp_path: Path, repo: Path, sandbox_image: str) -> Iterator[ServerProcess]:
    """The same in a child process, for tests that kill it with -9."""
    yield from _serving(ServerProcess(tmp_path / "data", [repo], image=sandbox_image))


@pytest.fixture
def bare_server(tmp_path: Path, repo: Path) -> Iterator[ServerProcess]:
    """The real app for HTTP-only checks: no container is ever started."""
    yield from _serving(
        InProcessServer(tmp_path / "data", [repo], image="wallfacer-test-never-used:0")
    )


@pytest.fixture
def third_agent_server(tmp_path: Path, repo: Path) -> Iterator[ServerProcess]:
    """The app with a third agent added (see ``tests.third_agent``), for HTTP and board checks."""
    root = add_third_agent(tmp_path / "src")
    yield from _serving(ServerProcess(tmp_path / "data", [repo], image=CLAUDE_IMAGE, root=root))
