"""The swarm backend end to end: a single-node Swarm on a private dockerd (never the
shared engine), the app serving its run files on the wire between them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from tests.dockerd import PrivateDockerd
from tests.engine import build_sandbox
from tests.gitrepo import branches, file_on_branch, task_refs
from tests.server_process import ServerProcess

TOKEN = "swarm-test-api-token-0123456789"


@dataclass
class Swarm:
    daemon: PrivateDockerd
    client: docker.DockerClient
    app_ip: str  # where the nodes reach the app
    image: str


@pytest.fixture(scope="module")
def swarm() -> Iterator[Swarm]:
    daemon = PrivateDockerd()
    try:
        daemon.start("--no-new-privileges")  # Swarm cannot ask for it per service
        app_ip, node_ip = daemon.link()
        client = daemon.client()
        client.swarm.init(advertise_addr=node_ip, listen_addr=f"{node_ip}:2377")
        yield Swarm(daemon, client, app_ip, build_sandbox(client))
        assert client.api.services() == [], "every run's service is removed"
        client.swarm.leave(force=True)
        assert client.info()["Swarm"]["LocalNodeState"] == "inactive"
    finally:
        daemon.remove()


@pytest.fixture
def swarm_server(tmp_path: Path, repo: Path, swarm: Swarm) -> Iterator[ServerProcess]:
    """The app on the swarm backend, bound beyond loopback (so with a token), its
    tasks on the node's own network, where the wire to the app is."""
    server = ServerProcess(
        tmp_path / "data",
        [repo],
        image=swarm.image,
        env={"DOCKER_HOST": swarm.daemon.host, "WALLFACER_TOKEN": TOKEN},
        host="0.0.0.0",
    )
    server.extra_args = (
        "--backend",
        "swarm",
        "--advertise-url",
        f"http://{swarm.app_ip}:{server.port}",
        "--egress",
        "open",
        "--network",
        "host",
    )
    server.start()
    yield server
    server.stop()


def test_a_task_runs_as_a_swarm_job_and_its_shipped_result_lands_on_main(
    swarm_server: ServerProcess, repo: Path, swarm: Swarm
) -> None:
    server = swarm_server
    # The agent tries the run's URL again with the run's own token: it was good once.
    again = 'wget -q -O /dev/null --header "Authorization: Bearer $WALLFACER_SHIP_TOKEN" '
    again += "$WALLFACER_SHIP_URL"
    task = server.create(f"write hello.txt hello from the swarm\nrun {again}", title="Swarm")
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting", timeout=120)
    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert diff["files"] == ["hello.txt"]
    log = str([e["data"] for e in server.events(task["id"]) if e["type"] == "output"])
    assert "403" in log and "(exit 1)" in log, "a second fetch is refused"
    assert swarm.client.api.services() == []

    server.act(task["id"], "feedback", {"message": "append hello.txt and goodbye"})
    again_waiting = server.wait_for(task["id"], "waiting", timeout=120)
    assert again_waiting["session_id"] == waiting["session_id"]
    # The CLI's session total is kept in its home: it came back and went out again.
    assert again_waiting["usage"]["cost_usd"] == pytest.approx(0.025, abs=1e-9)

    server.act(task["id"], "accept")
    server.wait_for(task["id"], "done", timeout=60)
    assert file_on_branch(repo, "main", "hello.txt") == "hello from the swarm\nand goodbye\n"
    assert branches(repo) == ["main"]
    assert task_refs(repo) == []


def test_the_run_urls_take_no_api_token(swarm_server: ServerProcess) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for method in ("GET", "POST"):
        answer = swarm_server.request(method, "/api/ship/wf-none", auth=False, headers=bearer)
        assert answer.status_code == 403, answer.text
