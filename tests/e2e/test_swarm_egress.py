"""The allowlist on a swarm: the egress proxy as a service on an internal overlay that
a run joins, on a single-node Swarm on a private dockerd (never the shared engine).

The daemon keeps its iptables here, in its own network namespace: the proxy's
outside overlay leaves through the node's gateway bridge, which needs its NAT.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from runner.backends import open_egress
from runner.containers import Engine, instance_id
from runner.egress import LABEL_ROLE, prepare
from runner.swarm import SwarmEngine
from tests.deploy.images import BASE_TAG, debian_base
from tests.gitrepo import file_on_branch
from tests.polling import until
from tests.swarm import Swarm, serve, single_node


@pytest.fixture(scope="module")
def swarm(docker_client: docker.DockerClient) -> Iterator[Swarm]:
    """The swarm, with the egress image the app would build, copied from the shared engine."""
    tag = prepare(Engine(), lambda line: None, base=debian_base(docker_client))
    with single_node("--iptables=true", "--ip-masq=true") as made:
        made.client.images.load(docker_client.images.get(tag).save(named=True))
        yield made


@pytest.fixture
def site(swarm: Swarm) -> Iterator[str]:
    """A page on the test's side of the wire, at the app's own address."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"the allowed page\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((swarm.app_ip, 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{swarm.app_ip}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_swarm_run_reaches_only_allowed_hosts_through_the_proxy(
    swarm: Swarm, site: str, tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    server = serve(swarm, data, repo, "--egress", "allowlist", "--image-base", BASE_TAG)
    try:
        # The app's own host is not on the list: its API, on the port the run ships
        # through, is as far out of reach as any host; the run's result still lands.
        api = f"http://{swarm.app_ip}:{server.port}/api/tasks"
        probe = server.create(f"run wget -q -O- {api}\nwrite probe.txt shipped back")
        server.act(probe["id"], "start")
        server.wait_for(probe["id"], "waiting", timeout=120)
        tried = [str(e["data"]) for e in server.events(probe["id"]) if "(exit" in str(e["data"])]
        assert "403" in tried[0] and "(exit 1)" in tried[0], tried
        diff = server.api("GET", f"/api/tasks/{probe['id']}/diff")
        assert diff["files"] == ["probe.txt"], diff
        server.act(probe["id"], "cancel")
        # The page at the app's address, once the person allows that host: the proxy
        # made again, the one before it gone first.
        server.api("PUT", "/api/config", {"egress_allow": [swarm.app_ip]})
        elsewhere = f"http://{swarm.node_ip}:9/"  # reachable from the proxy's node, not allowed
        prompt = "\n".join(
            [
                f"run wget -q -O- {site}",
                f"run wget -q -O- {elsewhere}",
                f"run env -u http_proxy -u HTTP_PROXY wget -q -O- {site}",
                "write through.txt shipped through the proxy",
                "sleep 3",  # refusals are told while the run lasts
            ]
        )
        task = server.create(prompt)
        server.act(task["id"], "start")
        server.wait_for(task["id"], "waiting", timeout=120)
        outputs = [str(e["data"]) for e in server.events(task["id"]) if e["type"] == "output"]
        allowed, refused, direct = [o for o in outputs if "(exit" in o][:3]
        assert "the allowed page" in allowed and "(exit 0)" in allowed
        assert "403" in refused and "(exit 1)" in refused
        assert "unreachable" in direct and "the allowed page" not in direct, "no way around it"
        notes = [str(e["data"].get("message")) for e in server.events(task["id"])]
        assert f"the egress proxy refused {swarm.node_ip}" in str(notes)
        proxies = swarm.client.api.services(filters={"label": LABEL_ROLE})
        assert [p["Spec"]["Name"] for p in proxies] == [f"wallfacer-egress-{instance_id(data)}"]
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done", timeout=60)
        assert file_on_branch(repo, "main", "through.txt") == "shipped through the proxy\n"
    finally:
        server.stop()
    monkeypatch.setenv("DOCKER_HOST", swarm.daemon.host)
    engine = SwarmEngine(f"http://{swarm.app_ip}:1", tmp_path / "marks")
    open_egress(engine, instance_id(data)).remove()
    assert swarm.client.api.services() == []
    role = {"label": LABEL_ROLE}
    # The manager forgets a removed overlay's local copy a few seconds later.
    until("the overlays gone", lambda: not swarm.client.networks.list(filters=role), timeout=30)
