"""A single-node Docker Swarm on a private dockerd (never the shared engine), wired to
the test's network namespace, and the app serving on the swarm backend."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker

from tests.deploy.images import debian_base
from tests.dockerd import PrivateDockerd
from tests.engine import BUSYBOX, SANDBOX_DIR, build_sandbox, content_digest, has_image
from tests.server_process import ServerProcess

TOKEN = "swarm-test-api-token-0123456789"


@dataclass
class Swarm:
    daemon: PrivateDockerd
    client: docker.DockerClient
    app_ip: str  # where the nodes reach the app
    image: str
    node_ip: str = ""  # the manager's advertise address


@contextmanager
def single_node(*flags: str) -> Iterator[Swarm]:
    """Made, then left (the leave checked), then the daemon removed. ``flags`` go to
    the daemon."""
    daemon = PrivateDockerd()
    try:
        daemon.start("--no-new-privileges", *flags)  # Swarm cannot ask for it per service
        app_ip, node_ip = daemon.link()
        client = daemon.client()
        # Nodes beat every second, not 5: a lost node is seen as down in seconds.
        client.swarm.init(
            advertise_addr=node_ip,
            listen_addr=f"{node_ip}:2377",
            dispatcher_heartbeat_period=1_000_000_000,
        )
        yield Swarm(daemon, client, app_ip, build_sandbox(client), node_ip)
        client.swarm.leave(force=True)
        assert client.info()["Swarm"]["LocalNodeState"] == "inactive"
    finally:
        daemon.remove()


@contextmanager
def worker(swarm: Swarm) -> Iterator[tuple[str, PrivateDockerd]]:
    """A second private dockerd joined as a worker, wired to the manager and to the
    test (where it reaches the app at the manager's ``app_ip``): its node id and
    daemon. It has no image: the app loads it there."""
    daemon = PrivateDockerd()
    try:
        daemon.start("--no-new-privileges")
        daemon.link()
        daemon.route(swarm.app_ip)
        _, address = swarm.daemon.wire_to(daemon, swarm.node_ip)
        client = daemon.client()
        token = swarm.client.swarm.attrs["JoinTokens"]["Worker"]
        client.swarm.join([f"{swarm.node_ip}:2377"], token, address, f"{address}:2377")
        yield str(client.info()["Swarm"]["NodeID"]), daemon
        if daemon.proc is not None and daemon.proc.poll() is None:  # not killed by the test
            client = daemon.client()  # the test's own may have been closed
            client.swarm.leave(force=True)
            assert client.info()["Swarm"]["LocalNodeState"] == "inactive"
    finally:
        daemon.remove()


def serve(swarm: Swarm, data_dir: Path, repo: Path, *args: str) -> ServerProcess:
    """The app on the swarm backend, started, bound beyond loopback (so with a
    token), its tasks on the node's own network, where the wire to the app is."""
    server = ServerProcess(
        data_dir,
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
        *args,
    )
    server.start()
    return server


# The fake agent on Debian with its git, run by Debian's sh: the wrapper's steps as
# on an agent's real image. Busybox only gives it wget.
GIT_IMAGE = """\
ARG BASE
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends git \\
 && rm -rf /var/lib/apt/lists/*
COPY busybox /bin/busybox
RUN ln -s /bin/busybox /usr/local/bin/wget
COPY fake-agent.sh /usr/local/bin/fake-agent
ENTRYPOINT ["/bin/sh", "/usr/local/bin/fake-agent"]
"""


def load_git_image(swarm: Swarm, shared: docker.DockerClient) -> str:
    """That image, built on the shared engine (it installs git from Debian's mirror)
    and loaded into the swarm's."""
    base = debian_base(shared)
    tag = f"wallfacer-test-git:{content_digest(SANDBOX_DIR, ('fake-agent.sh',))}"
    if not has_image(shared, tag):
        with tempfile.TemporaryDirectory() as ctx:
            (Path(ctx) / "Dockerfile").write_text(GIT_IMAGE)
            shutil.copy(SANDBOX_DIR / "fake-agent.sh", ctx)
            shutil.copy(BUSYBOX, Path(ctx) / "busybox")
            shared.images.build(path=ctx, tag=tag, buildargs={"BASE": base}, rm=True)
    swarm.client.images.load(shared.images.get(tag).save(named=True))
    return tag
