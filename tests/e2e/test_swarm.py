"""The swarm backend end to end: a single-node Swarm on a private dockerd (never the
shared engine), the app serving its run files on the wire between them."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import requests

from runner.shipping import MAX_UPLOAD_BYTES
from tests.dockerd import PrivateDockerd
from tests.gitrepo import branches, file_on_branch, task_refs
from tests.polling import until
from tests.server_process import ServerProcess
from tests.swarm import TOKEN, Swarm, load_git_image, serve, single_node, worker


@pytest.fixture(scope="module")
def swarm() -> Iterator[Swarm]:
    with single_node() as made:
        yield made
        assert made.client.api.services() == [], "every run's service is removed"


def _server(swarm: Swarm, tmp_path: Path, repo: Path, *args: str) -> ServerProcess:
    return serve(swarm, tmp_path / "data", repo, *args)


@pytest.fixture
def swarm_server(tmp_path: Path, repo: Path, swarm: Swarm) -> Iterator[ServerProcess]:
    server = _server(swarm, tmp_path, repo)
    yield server
    server.stop()


def test_a_task_runs_as_a_swarm_job_and_its_shipped_result_lands_on_main(
    swarm_server: ServerProcess, repo: Path, swarm: Swarm
) -> None:
    server = swarm_server
    # The agent tries the run's URL again with the run's own token: it was good once.
    again = 'wget -q -O /dev/null --header "Authorization: Bearer $WALLFACER_SHIP_TOKEN" '
    again += "$WALLFACER_SHIP_URL"
    prompt = f"write hello.txt hello from the swarm\nrun {again}\nrun cat .git/HEAD .git/shallow"
    task = server.create(prompt, title="Swarm")
    server.act(task["id"], "start")
    waiting = server.wait_for(task["id"], "waiting", timeout=120)
    diff = server.api("GET", f"/api/tasks/{task['id']}/diff")
    assert diff["files"] == ["hello.txt"]
    log = str([e["data"] for e in server.events(task["id"]) if e["type"] == "output"])
    assert "403" in log and "(exit 1)" in log, "a second fetch is refused"
    assert "ref: refs/heads/task/" in log, "the workspace came with a shallow .git"
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


def _service(swarm: Swarm, task_id: str) -> dict:  # type: ignore[type-arg]
    """The task's run service, once it exists."""
    found: list[dict] = []  # type: ignore[type-arg]

    def made() -> bool:
        found[:] = swarm.client.api.services(filters={"label": f"wallfacer.task={task_id}"})
        return bool(found)

    until("the run's service", made)
    return found[0]


def test_a_run_is_a_hardened_job_with_its_limits_and_a_cancel_removes_it(
    swarm: Swarm, tmp_path: Path, repo: Path
) -> None:
    server = _server(
        swarm,
        tmp_path,
        repo,
        "--cpus",
        "1",
        "--memory",
        "256m",
        "--pids-limit",
        "200",
        "--constraint",
        "node.role==manager",
    )
    try:
        task = server.create("sleep 600")
        server.act(task["id"], "start")
        spec = _service(swarm, task["id"])["Spec"]
        assert spec["Mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
        template = spec["TaskTemplate"]
        container = template["ContainerSpec"]
        assert container["CapabilityDrop"] == ["ALL"] and container["ReadOnly"] is True
        assert not container["User"].startswith("0")
        assert not container.get("Mounts", [{}])[0].get("Source"), "no host path is mounted"
        assert template["Resources"]["Limits"] == {
            "NanoCPUs": 10**9,
            "MemoryBytes": 256 * 2**20,
            "Pids": 200,
        }
        assert template["Placement"]["Constraints"] == ["node.role==manager"]
        assert TOKEN not in str(spec), "the API token never reaches a run"
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        for method in ("GET", "POST"):
            path = f"/api/ship/{spec['Name']}"
            answer = server.request(method, path, auth=False, headers=bearer)
            assert answer.status_code == 403, "a run's URL takes its token, not the API's"

        server.act(task["id"], "cancel")
        label = {"label": f"wallfacer.task={task['id']}"}
        until("the service gone", lambda: not swarm.client.api.services(filters=label))
    finally:
        server.stop()


def test_a_run_outlives_a_restart_and_its_result_still_lands(
    swarm: Swarm, tmp_path: Path, repo: Path
) -> None:
    server = _server(swarm, tmp_path, repo)
    try:
        again = 'wget -q -O- --header "Authorization: Bearer $WALLFACER_SHIP_TOKEN" '
        again += "$WALLFACER_SHIP_URL"
        prompt = f"sleep 6\nrun {again}\nwrite after.txt written across a restart"
        task = server.create(prompt)
        server.act(task["id"], "start")
        _service(swarm, task["id"])

        def fetched() -> bool:  # the agent runs: its files came in
            return "Thinking" in str(server.events(task["id"]))

        until("the run's files fetched", fetched)
        server.stop()  # the run goes on; its upload waits for the app
        server.start()
        server.wait_for(task["id"], "waiting", timeout=120)
        notes = [e["data"].get("message") for e in server.events(task["id"])]
        assert "reattached after a restart" in notes
        log = str([e["data"] for e in server.events(task["id"]) if e["type"] == "output"])
        assert "403" in log and "(exit 1)" in log, "fetched before the restart: not again after"
        assert server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["after.txt"]
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done", timeout=60)
        assert file_on_branch(repo, "main", "after.txt") == "written across a restart\n"
    finally:
        server.stop()


def test_a_local_server_ships_nothing(bare_server: ServerProcess) -> None:
    answer = bare_server.request("GET", "/api/ship/anything")  # with the API token
    assert answer.status_code == 403, answer.text
    connection = http.client.HTTPConnection("127.0.0.1", bare_server.port, timeout=30)
    connection.putrequest("POST", "/api/ship/anything")
    connection.putheader("Authorization", "Bearer a-run-token")
    connection.putheader("Content-Length", str(MAX_UPLOAD_BYTES + 1))
    connection.endheaders(b"x")
    assert connection.getresponse().status == 413, "refused on its length, before a byte is kept"
    connection.close()


@pytest.mark.parametrize("run", ["wf-never-planned-1", "..%2Fevents", "wf-x%2F..%2F..%2Finfo"])
def test_a_stranger_is_refused_before_a_byte_is_read(swarm_server: ServerProcess, run: str) -> None:
    """Only a run the app planned, with its own token, gets its body read: a stranger's
    upload cannot fill the data dir, and a name that is a path never reaches the engine."""
    connection = http.client.HTTPConnection("127.0.0.1", swarm_server.port, timeout=10)
    connection.putrequest("POST", f"/api/ship/{run}")
    connection.putheader("Authorization", "Bearer a-guessed-token")
    connection.putheader("Content-Length", str(100 * 1024 * 1024))
    connection.endheaders(b"x")  # 1 byte of 100 MB: the answer comes without the rest
    answer = connection.getresponse()
    assert answer.status == 403, answer.read()
    connection.close()
    assert not list((swarm_server.data_dir / "ship").glob("*"))


def test_no_network_is_refused_on_a_swarm(swarm_server: ServerProcess) -> None:
    """As the command line refuses ``--egress none`` (``tests/app/test_cli.py``)."""
    answer = swarm_server.request("PUT", "/api/config", json={"egress": "none"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "egress"
    assert "this server's backend takes egress allowlist or open" in answer.text


def test_a_special_file_sent_back_fails_the_run_with_the_reason(
    swarm_server: ServerProcess, repo: Path
) -> None:
    task = swarm_server.create("write a.txt fine\nrun mkfifo pipe")
    swarm_server.act(task["id"], "start")
    failed = swarm_server.wait_for(task["id"], "failed", timeout=120)
    assert "the run's result was refused" in failed["error"]
    assert "special file" in failed["error"]
    assert file_on_branch(repo, "main", "a.txt") is None


@dataclass
class Pinned:
    """A run started on a worker the test joined, by a server pinning it there."""

    server: ServerProcess
    task_id: str
    node: str
    daemon: PrivateDockerd
    service_id: str

    def swarm_task(self, swarm: Swarm) -> dict[str, Any] | None:
        """The run's one Swarm task, as the manager has it (None before it has one)."""
        found = swarm.client.api.tasks(filters={"service": self.service_id})
        return dict(found[0]) if found else None


@contextmanager
def pinned(swarm: Swarm, tmp_path: Path, repo: Path, prompt: str) -> Iterator[Pinned]:
    """A worker joined, the app pinning every run to it, and a task started; the
    app stopped and the node removed after."""
    with worker(swarm) as (node, daemon):
        args = ("--constraint", f"node.id=={node}", "--node-engine", daemon.host)
        server = _server(swarm, tmp_path, repo, *args)
        try:
            task = server.create(prompt)
            server.act(task["id"], "start")
            service = _service(swarm, task["id"])
            yield Pinned(server, task["id"], node, daemon, service["ID"])
        finally:
            server.stop()
        swarm.client.nodes.get(node).remove(force=True)


def test_a_task_pinned_to_a_worker_runs_there_and_lands_on_main(
    swarm: Swarm, tmp_path: Path, repo: Path
) -> None:
    with pinned(swarm, tmp_path, repo, "write worker.txt from the worker") as run:
        placed = until("the run placed", lambda: (run.swarm_task(swarm) or {}).get("NodeID"))
        assert placed == run.node
        run.server.wait_for(run.task_id, "waiting", timeout=120)
        run.server.act(run.task_id, "accept")
        run.server.wait_for(run.task_id, "done", timeout=60)
        assert file_on_branch(repo, "main", "worker.txt") == "from the worker\n"
        image_id = swarm.client.images.get(swarm.image).id
        assert run.daemon.client().images.get(image_id).id == image_id, "the app loaded it"


def test_a_node_lost_mid_run_fails_the_task_saying_so(
    swarm: Swarm, tmp_path: Path, repo: Path
) -> None:
    with pinned(swarm, tmp_path, repo, "sleep 600") as run:

        def running() -> bool:
            found = run.swarm_task(swarm)
            return found is not None and found["Status"]["State"] == "running"

        until("the run running on the worker", running)
        run.daemon.kill()  # the node's engine gone at once, as a machine that dies
        failed = run.server.wait_for(run.task_id, "failed", timeout=120)
        assert f"({run.node[:12]}) running the task was lost mid-run" in failed["error"]
        label = {"label": f"wallfacer.task={run.task_id}"}
        until("the service gone", lambda: not swarm.client.api.services(filters=label))


def _held(swarm: Swarm, server: ServerProcess, task_id: str) -> dict:  # type: ignore[type-arg]
    """The task's run made ahead: its service made, its container up, its wrapper
    waiting for its files, so nothing of the agent has run."""
    until("made ahead", lambda: server.act(task_id, "prepare")["ready"])
    service = _service(swarm, task_id)
    name = service["Spec"]["Name"]

    def up() -> bool:
        tasks = swarm.client.api.tasks(filters={"service": name})
        return bool(tasks) and tasks[0]["Status"]["State"] == "running"

    until("the held run's container", up, timeout=60)
    logs = b"".join(swarm.client.api.service_logs(name, stdout=True, stderr=True))
    assert logs == b"", "a held run has fetched nothing and run nothing"
    return service


def test_a_run_made_ahead_is_a_held_service_its_start_lets_go(
    swarm_server: ServerProcess, swarm: Swarm
) -> None:
    since = int(time.time()) - 1
    task = swarm_server.create("write ahead.txt made ahead")
    held = _held(swarm, swarm_server, task["id"])["Spec"]["Name"]
    swarm_server.act(task["id"], "start")
    swarm_server.wait_for(task["id"], "waiting", timeout=120)
    assert swarm_server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["ahead.txt"]
    made = swarm.client.api.events(
        since=since,
        until=int(time.time()) + 1,
        decode=True,
        filters={"type": "service", "event": "create"},
    )
    mine = [e["Actor"]["Attributes"]["name"] for e in made]
    assert [name for name in mine if task["id"] in name] == [held], "the start made no other"


def test_a_fetch_given_up_while_held_takes_nothing_from_the_run(
    swarm_server: ServerProcess, swarm: Swarm
) -> None:
    """A request for the run's files that is dropped while it waits (its wrapper gave
    up, a proxy between went away) must not use up the run's one fetch at the start."""
    task = swarm_server.create("write held.txt after a dropped fetch")
    service = _held(swarm, swarm_server, task["id"])
    env = dict(e.split("=", 1) for e in service["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"])
    run = service["Spec"]["Name"]
    auth = {"Authorization": f"Bearer {env['WALLFACER_SHIP_TOKEN']}"}
    for _ in range(3):
        with pytest.raises(requests.Timeout):
            requests.get(f"{swarm_server.url}/api/ship/{run}", headers=auth, timeout=0.5)
    swarm_server.act(task["id"], "start")
    swarm_server.wait_for(task["id"], "waiting", timeout=120)
    assert swarm_server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["held.txt"]


def test_a_run_made_ahead_goes_when_its_task_changes(
    swarm_server: ServerProcess, swarm: Swarm
) -> None:
    task = swarm_server.create("write first.txt from the first prompt")
    _held(swarm, swarm_server, task["id"])
    swarm_server.api("PATCH", f"/api/tasks/{task['id']}", {"prompt": "write second.txt now"})
    label = {"label": f"wallfacer.task={task['id']}"}
    until("the held run removed", lambda: not swarm.client.api.services(filters=label))
    swarm_server.act(task["id"], "start")
    swarm_server.wait_for(task["id"], "waiting", timeout=120)
    assert swarm_server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == ["second.txt"]


def test_a_run_held_across_a_crash_gets_nothing_and_is_swept(
    swarm: Swarm, tmp_path: Path, repo: Path
) -> None:
    server = _server(swarm, tmp_path, repo)
    try:
        task = server.create("write never.txt never run")
        name = _held(swarm, server, task["id"])["Spec"]["Name"]
        server.kill()  # nothing can start it now: its wrapper's fetch is cut, and retried
        marks = tmp_path / "data" / "ship-marks"
        for left in ("held", "plan"):  # a crash between a run's marks and its service
            (marks / f"wf-cut-off-1.{left}").write_text("{}")
        server.start()
        label = {"label": f"wallfacer.task={task['id']}"}
        until("the held run swept", lambda: not swarm.client.api.services(filters=label))
        assert server.task(task["id"])["status"] == "backlog"
        # The marks go once the service is gone (it can send nothing more): a moment later.
        until("its plan gone", lambda: not (marks / f"{name}.plan").exists())
        until("the cut-off run's marks gone", lambda: not list(marks.glob("wf-cut-off-1.*")))
    finally:
        server.stop()


def test_the_steps_before_the_agent_travel_with_the_run(
    swarm_server: ServerProcess, repo: Path
) -> None:
    (repo / ".wallfacer").mkdir()
    (repo / ".wallfacer" / "setup.sh").write_text("echo set up in $(pwd)\n")
    task = swarm_server.create("write a.txt after the setup")
    swarm_server.act(task["id"], "start")
    swarm_server.wait_for(task["id"], "waiting", timeout=120)
    log = str([e["data"] for e in swarm_server.events(task["id"]) if e["type"] == "output"])
    assert "[setup] set up in /workspace/project" in log


def test_a_run_killed_for_its_memory_fails_saying_so(
    swarm: Swarm, tmp_path: Path, repo: Path
) -> None:
    server = _server(swarm, tmp_path, repo, "--memory", "64m")
    try:
        # The agent itself holds what it reads: the kernel kills it, not the reader.
        task = server.create("run yes | head -c 200m")
        server.act(task["id"], "start")
        failed = server.wait_for(task["id"], "failed", timeout=120)
        assert failed["error"] == "the agent ran out of memory (64m limit)"
    finally:
        server.stop()


def test_on_an_image_with_git_the_agent_starts_on_a_clean_checkout(
    swarm: Swarm, tmp_path: Path, repo: Path, docker_client: docker.DockerClient
) -> None:
    image = load_git_image(swarm, docker_client)
    server = _server(swarm, tmp_path, repo, "--image", image)
    try:
        checks = 'run git --version && test -z "$(git status --porcelain)" && echo clean'
        task = server.create(f"{checks}\nwrite git.txt from an image with git")
        server.act(task["id"], "start")
        server.wait_for(task["id"], "waiting", timeout=120)
        log = str([e["data"] for e in server.events(task["id"]) if e["type"] == "output"])
        assert "git version" in log and "clean (exit 0)" in log, log
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done", timeout=60)
        assert file_on_branch(repo, "main", "git.txt") == "from an image with git\n"
    finally:
        server.stop()


def test_a_preview_reaches_a_run_on_its_nodes_network(
    swarm_server: ServerProcess, swarm: Swarm
) -> None:
    """On the node's own network (``--network host``) a preview goes to the node's
    address, which the app reaches as it reaches the node."""
    server = swarm_server
    page = "run mkdir site\nrun echo served-on-the-node > site/index.html\n"
    task = server.create(page + "run httpd -p 8000 -h $PWD/site\nsleep 300")
    server.act(task["id"], "start")

    def opened() -> dict[str, Any] | None:
        answer = server.request("PUT", f"/api/tasks/{task['id']}/preview", json={"port": 8000})
        return answer.json() if answer.ok else None

    preview = until("the run running", opened, timeout=60)
    assert preview is not None
    browser = requests.Session()  # trades the link's token for the preview's cookie

    def shown() -> str:
        answer = browser.get(preview["url"], timeout=10)
        return answer.text if answer.ok else ""

    assert "served-on-the-node" in until("the agent's server", shown)
    server.act(task["id"], "cancel")
