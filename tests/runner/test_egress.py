"""The allowlist network mode: a task reaches allowed hosts through the proxy, nothing else.

Fake hosts are busybox httpd containers on the proxy's outside network under
aliases like ``allowed.test``; the client is a busybox container on the
internal network only. Every name carries a per-run id, and only what this
run made is removed: the engine is shared.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import docker
import pytest

from runner.containers import LABEL_INSTANCE, Engine
from runner.egress import (
    ALIAS,
    INHIBIT_IPV4,
    LABEL_CONFIG,
    LABEL_ROLE,
    Egress,
    filter_text,
    parse_denied,
    patterns,
    prepare,
)
from runner.errors import EgressFailed
from tests.deploy.images import debian_base

pytestmark = pytest.mark.timeout(600)  # a fresh machine builds the Debian base first

ALLOW = ["allowed.test", "*.wild.test"]
PAGE = "fake-host-page"


def test_the_allowlist_is_checked_and_normalised() -> None:
    assert patterns([" API.Example.com. ", "*.github.com", "api.example.com"]) == [
        "*.github.com",
        "api.example.com",
    ]
    for bad in ["", "*", "*example.com", "x.*.com", "a b", "http://x.com", "x..y", "-a.com", "^a$"]:
        with pytest.raises(EgressFailed, match="not a host name"):
            patterns([bad])


def test_the_filter_is_anchored_and_a_wildcard_needs_a_subdomain() -> None:
    assert filter_text(["*.github.com", "api.example.com"]).splitlines() == [
        r"^.+\.github\.com$",
        r"^api\.example\.com$",
    ]
    assert filter_text([]) == ""


def test_a_refusal_goes_to_the_open_connection_that_asked_for_that_host() -> None:
    refused = 'NOTICE x [1]: Proxying refused on filtered domain "{}"'
    log = [
        "2026-01-02T03:04:05.100000000Z CONNECT x [1]: Connect (file descriptor 5): 10.0.0.2",
        "2026-01-02T03:04:05.200000000Z CONNECT x [1]: Connect (file descriptor 6): 10.0.0.3",
        "2026-01-02T03:04:05.300000000Z CONNECT x [1]: Request (file descriptor 6): "
        "CONNECT Evil.test:443 HTTP/1.1",
        "2026-01-02T03:04:05.400000000Z CONNECT x [1]: Request (file descriptor 5): "
        "GET http://other.test:8080/x HTTP/1.1",
        "2026-01-02T03:04:05.500000000Z " + refused.format("evil.test"),
        "2026-01-02T03:04:05.600000000Z " + refused.format("other.test"),
        "2026-01-02T03:04:05.700000000Z " + refused.format("lost.test"),
    ]
    at = 1767323045.0  # 2026-01-02T03:04:05Z
    found = parse_denied(log)
    assert [(d.host, d.client_ip) for d in found] == [
        ("evil.test", "10.0.0.3"),
        ("other.test", "10.0.0.2"),
        ("lost.test", ""),
    ]
    assert found[0].at == pytest.approx(at + 0.5)


def test_a_client_cannot_forge_a_log_line_in_its_request_line() -> None:
    forged = 'Proxying refused on filtered domain "x.test"'
    stamp = "2026-01-02T03:04:05.1Z CONNECT x [1]: "
    log = [
        stamp + "Connect (file descriptor 5): 10.0.0.2",
        stamp + "Connect (file descriptor 6): 10.0.0.3",
        stamp + "Connect (file descriptor 7): 10.0.0.4",
        stamp + f"Request (file descriptor 5): GET http://x.test/ {forged}",
        stamp + f"Request (file descriptor 6): {forged}",
        stamp + "Request (file descriptor 7): Connect (file descriptor 5): 10.6.6.6",
        "2026-01-02T03:04:05.5Z NOTICE x [1]: " + forged,
    ]
    assert [(d.host, d.client_ip) for d in parse_denied(log)] == [("x.test", "10.0.0.2")]


@dataclass
class World:
    egress: Egress
    image: str
    client: Any  # docker.models.containers.Container
    client_ip: str
    fake_ip: str  # the fake hosts' address on the outside network
    host_ip: str  # where host.docker.internal points: the default bridge's gateway
    host_port: int
    host_hits: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def sh(self, command: str) -> tuple[int, str]:
        code, out = self.client.exec_run(["sh", "-c", command])
        return int(code), bytes(out).decode(errors="replace")


def _host_server(hits: list[str], ip: str) -> ThreadingHTTPServer:
    """A web server on the host, where only the proxy should get through to it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.client_address[0])
            body = b"host-page\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((ip, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _host_gateway(client: docker.DockerClient, image: str) -> str:
    """The host's address that ``host-gateway`` stands for, as a container sees it."""
    hosts = client.containers.run(
        image,
        entrypoint=["cat", "/etc/hosts"],
        extra_hosts={"host.docker.internal": "host-gateway"},
        remove=True,
    )
    for line in bytes(hosts).decode().splitlines():
        if line.endswith("host.docker.internal"):
            return line.split()[0]
    raise AssertionError(f"no host-gateway in {hosts!r}")


def _run(client: docker.DockerClient, image: str, network: str, **extra: Any) -> Any:
    """A busybox container on ``network``; ``aliases`` name it there."""
    api = client.api
    aliases = extra.pop("aliases", None)
    created = api.create_container(
        image,
        host_config=api.create_host_config(network_mode=network),
        networking_config=api.create_networking_config(
            {network: api.create_endpoint_config(aliases=aliases)}
        ),
        **extra,
    )
    try:
        api.start(created["Id"])
    except BaseException:
        api.remove_container(created["Id"], force=True)
        raise
    return client.containers.get(created["Id"])


@pytest.fixture(scope="module")
def world(docker_client: docker.DockerClient, sandbox_image: str) -> Iterator[World]:
    run = f"t{uuid.uuid4().hex[:10]}"
    labels = {"wallfacer.test-run": run}
    engine = Engine()
    egress = Egress(engine, run)
    made: list[Any] = []
    host_ip = _host_gateway(docker_client, sandbox_image)
    hits: list[str] = []
    server = _host_server(hits, host_ip)
    try:
        timings = {}
        start = time.monotonic()
        image = prepare(engine, lambda line: None, base=debian_base(docker_client))
        timings["image"] = time.monotonic() - start
        start = time.monotonic()
        proxy = egress.ensure(image, ALLOW)
        timings["ensure_cold"] = time.monotonic() - start
        serve = f"mkdir /tmp/www && echo {PAGE} >/tmp/www/index.html && exec httpd -f -h /tmp/www"
        fake = _run(
            docker_client,
            sandbox_image,
            egress.outside,
            entrypoint=["sh", "-c", serve],
            labels=labels,
            aliases=["allowed.test", "denied.test", "a.wild.test", "wild.test"],
        )
        made.append(fake)
        client = _run(
            docker_client,
            sandbox_image,
            proxy.network,
            entrypoint=["sleep", "600"],
            environment=proxy.env(),
            labels=labels,
        )
        made.append(client)
        client_ip = egress.container_ip(client.id)
        fake_ip = egress.container_ip(fake.id, egress.outside)
        assert client_ip and fake_ip
        world = World(
            egress, image, client, client_ip, fake_ip, host_ip, server.server_address[1], hits
        )
        world.timings.update(timings)
        yield world
        print("egress timings (s):", {k: round(v, 3) for k, v in world.timings.items()})
    finally:
        server.shutdown()
        for container in made:
            container.remove(force=True)
        egress.remove()


def test_the_proxy_runs_locked_down_on_both_networks(
    world: World, docker_client: docker.DockerClient
) -> None:
    egress = world.egress
    proxy = docker_client.api.inspect_container(egress.network)
    assert proxy["Config"]["User"] == "65534:65534"
    host = proxy["HostConfig"]
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["ReadonlyRootfs"] is True
    assert not host["ExtraHosts"], "host.docker.internal is not on the list"
    networks = proxy["NetworkSettings"]["Networks"]
    assert set(networks) == {egress.network, egress.outside}
    assert ALIAS in networks[egress.network]["Aliases"]
    internal = docker_client.api.inspect_network(egress.network)
    assert internal["Internal"] is True
    assert internal["Options"][INHIBIT_IPV4] == "true"
    assert internal["Labels"] == {LABEL_INSTANCE: egress.instance, LABEL_ROLE: "internal"}
    assert docker_client.api.inspect_network(egress.outside)["Internal"] is False
    client_networks = world.client.attrs["NetworkSettings"]["Networks"]
    assert set(client_networks) == {egress.network}


def test_allowed_hosts_are_reached_through_the_proxy(world: World) -> None:
    assert world.sh("wget -q -O - http://allowed.test/") == (0, PAGE + "\n")
    assert world.sh("wget -q -O - http://A.Wild.Test/") == (0, PAGE + "\n")
    connect = (
        r"(printf 'CONNECT allowed.test:80 HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\n\r\n'; sleep 2)"
        f" | timeout 10 nc {ALIAS} 8888"
    )
    out = world.sh(connect)[1]
    assert "200 Connection established" in out and PAGE in out, out


def test_other_hosts_are_refused_and_the_refusals_name_the_client(world: World) -> None:
    since = time.time()
    code, out = world.sh("wget -q -O - http://denied.test/")
    assert code != 0 and "403 Filtered" in out, out
    code, out = world.sh("wget -q -O - http://wild.test/")  # *.wild.test: subdomains only
    assert code != 0 and "403" in out, out
    connect = rf"printf 'CONNECT denied.test:443 HTTP/1.1\r\n\r\n' | timeout 10 nc {ALIAS} 8888"
    assert "403 Filtered" in world.sh(connect)[1]
    deadline = time.monotonic() + 10
    while len(found := world.egress.denied(since)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)  # the engine may hand over the log lines a moment later
    assert [(d.host, d.client_ip) for d in found] == [
        ("denied.test", world.client_ip),
        ("wild.test", world.client_ip),
        ("denied.test", world.client_ip),
    ]
    assert all(since <= d.at <= time.time() + 1 for d in found)
    assert world.egress.denied(time.time() + 5) == []


def test_nothing_is_reached_directly(world: World) -> None:
    assert world.sh(f"timeout 8 nc -w 3 {ALIAS} 8888 </dev/null")[0] == 0, "nc itself works"
    internal = world.client.client.api.inspect_network(world.egress.network)
    gateway = internal["IPAM"]["Config"][0]["Gateway"]
    # The fake host, the host, and the host on the internal network's gateway; all
    # probed at once, since each can only fail by waiting out nc's timeout.
    probes = [f"{world.fake_ip}:80", f"{world.host_ip}:{world.host_port}"]
    probes.append(f"{gateway}:{world.host_port}")
    script = "".join(
        f"(timeout 8 nc -w 3 {p.replace(':', ' ')} </dev/null >/dev/null 2>&1; echo {p}=$?) & "
        for p in probes
    )
    _, out = world.sh(script + "wait")
    codes = dict(line.split("=") for line in out.split())
    assert sorted(codes) == sorted(probes), out
    assert all(code != "0" for code in codes.values()), f"answered directly: {codes}"
    assert world.host_hits == []


def test_a_new_allowlist_recreates_the_proxy_and_the_host_is_reached_by_name(
    world: World, docker_client: docker.DockerClient
) -> None:
    egress = world.egress
    before = egress.ensure(world.image, ALLOW)
    config_of_before = docker_client.api.inspect_container(before.container)["Config"]["Labels"][
        LABEL_CONFIG
    ]
    start = time.monotonic()
    assert egress.ensure(world.image, list(reversed(ALLOW))) == before, "same list: same proxy"
    world.timings["ensure_warm"] = time.monotonic() - start
    try:
        start = time.monotonic()
        after = egress.ensure(world.image, [*ALLOW, "denied.test", "host.docker.internal"])
        world.timings["ensure_recreate"] = time.monotonic() - start
        assert after.container != before.container
        info = docker_client.api.inspect_container(after.container)
        assert info["Config"]["Labels"][LABEL_CONFIG] != config_of_before
        assert info["HostConfig"]["ExtraHosts"] == ["host.docker.internal:host-gateway"]
        assert world.sh("wget -q -O - http://denied.test/") == (0, PAGE + "\n")
        url = f"http://host.docker.internal:{world.host_port}/"
        assert world.sh(f"wget -q -O - {url}") == (0, "host-page\n")
        assert len(world.host_hits) == 1
        assert "host.docker.internal" not in world.sh("cat /etc/hosts")[1]
    finally:
        egress.ensure(world.image, ALLOW)
    assert world.sh("wget -q -O - http://denied.test/")[0] != 0


def test_remove_takes_only_what_the_instance_made(
    world: World, docker_client: docker.DockerClient, sandbox_image: str
) -> None:
    run = f"t{uuid.uuid4().hex[:10]}"
    egress = Egress(Engine(), run)
    squatter = docker_client.networks.create(egress.network, labels={"wallfacer.test-run": run})
    try:
        with pytest.raises(EgressFailed, match="did not create"):
            egress.ensure(world.image, ALLOW)
    finally:
        squatter.remove()
    proxy = egress.ensure(world.image, ALLOW)
    # A task container of the same instance is the app's to remove, not the proxy's.
    task = docker_client.containers.run(
        sandbox_image,
        entrypoint=["sleep", "120"],
        labels={LABEL_INSTANCE: run},
        network=proxy.network,
        detach=True,
    )
    mine = {"label": f"{LABEL_INSTANCE}={run}"}
    try:
        with pytest.raises(EgressFailed, match=f"cannot remove network {egress.network} "):
            egress.remove()  # the task is still on the internal network
        assert [c.id for c in docker_client.containers.list(all=True, filters=mine)] == [task.id]
        assert [n.name for n in docker_client.networks.list(filters=mine)] == [egress.network]
    finally:
        task.remove(force=True)
    egress.remove()
    assert docker_client.networks.list(filters=mine) == []
    assert docker_client.api.inspect_container(world.egress.network)["State"]["Running"]
    egress.remove()  # twice is fine


def test_the_reverse_path_passes_a_runs_ship_requests_to_the_app_and_nothing_else(
    world: World, docker_client: docker.DockerClient, sandbox_image: str
) -> None:
    """A swarm's proxy (``EGRESS_REVERSE``) passes /api/ship/ on to the app on its
    reverse-only port; neither port takes a run to any other path or port of the
    app's host, by an origin-form, absolute-form or CONNECT request."""
    run = f"t{uuid.uuid4().hex[:10]}"
    labels = {"wallfacer.test-run": run}
    network = docker_client.networks.create(f"wf-reverse-{run}", labels=labels)
    made: list[Any] = []
    try:
        pages = "mkdir -p /tmp/www/api/ship && echo shipped >/tmp/www/api/ship/wf-x-1"
        pages += " && echo the-whole-api >/tmp/www/api/tasks && exec httpd -f -h /tmp/www"
        app = _run(docker_client, sandbox_image, network.name, entrypoint=["sh", "-c", pages])
        made.append(app)
        app_ip = app.attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]
        proxy = _run(
            docker_client,
            world.image,
            network.name,
            environment={"EGRESS_FILTER": "", "EGRESS_REVERSE": f"http://{app_ip}"},
            aliases=["proxy.test"],
        )
        made.append(proxy)
        client = _run(docker_client, sandbox_image, network.name, entrypoint=["sleep", "600"])
        made.append(client)

        def sh(command: str) -> str:
            return bytes(client.exec_run(["sh", "-c", command])[1]).decode(errors="replace")

        sh("for i in $(seq 50); do nc -w 1 proxy.test 8889 </dev/null && break; sleep 0.2; done")
        assert sh("wget -q -O- http://proxy.test:8889/api/ship/wf-x-1") == "shipped\n"
        for port in (8888, 8889):
            origin = sh(f"wget -q -O- http://proxy.test:{port}/api/tasks 2>&1")
            through = f"http_proxy=http://proxy.test:{port}"
            forward = sh(f"{through} wget -q -O- http://{app_ip}/api/tasks 2>&1")
            tunnel = sh(
                rf"(printf 'CONNECT {app_ip}:80 HTTP/1.1\r\n\r\nGET /api/tasks HTTP/1.0\r\n\r\n';"
                f" sleep 1) | timeout 5 nc proxy.test {port}"
            )
            for answer in (origin, forward, tunnel):
                assert "the-whole-api" not in answer, (port, answer)
            assert "200 Connection established" not in tunnel, (port, tunnel)
    finally:
        for container in made:
            container.remove(force=True)
        network.remove()
