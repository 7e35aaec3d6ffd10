"""P10 dispatch on a single-node Swarm: POST start -> first agent line over SSE, vs a
raw `docker run` printing one line on the same private engine.

The raw run gets the hardening a swarm run has (read-only root, no capabilities,
a non-root user, the daemon's no-new-privileges, the host network of the
node's namespace) and the workspace and home bind-mounted, as a local run
has them; the swarm run also fetches them from the app. A bare service (no
app, no files: create, then the first line of its followed log) says how much
of the difference is Swarm's own scheduling. A run made ahead (``runner.swarm``)
is a service whose wrapper waits for the start, which then only lets it fetch its
files. Nothing touches the shared engine.

Run: python -m bench.p10_swarm_dispatch [ROUNDS]
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import docker
from docker.types import ServiceMode

from bench.p1_dispatch import raw_docker_run, wallfacer_dispatch
from bench.stats import compare
from tests.gitrepo import make_repo
from tests.swarm import serve, single_node

TARGET = 2.0
_names = itertools.count()


def bare_service(client: docker.DockerClient, image: str) -> float:
    spec = {
        "ContainerSpec": {"Image": image, "Command": ["/bin/sh", "-c", "echo hi"]},
        "RestartPolicy": {"Condition": "none"},
        "Networks": [{"Target": "host"}],
    }
    name = f"p10-bare-{os.getpid()}-{next(_names)}"
    start = time.perf_counter()
    client.api.create_service(spec, name=name, mode=ServiceMode("replicated-job"))
    for _chunk in client.api.service_logs(name, follow=True, stdout=True):
        break
    elapsed = time.perf_counter() - start
    client.api.remove_service(name)
    return elapsed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp, single_node() as swarm:
        os.environ["DOCKER_HOST"] = swarm.daemon.host  # the raw runs' `docker` CLI
        for name in ("ws", "home"):
            (Path(tmp) / name).mkdir(mode=0o777)
            os.chmod(Path(tmp) / name, 0o777)
        extra = ["--network", "host", "--cap-drop", "ALL", "--read-only", "--user", "1000:1000"]
        extra += ["--tmpfs", "/tmp:rw,nosuid,nodev,size=1g", "-e", "HOME=/home/agent"]
        extra += ["-v", f"{tmp}/ws:/workspace/repo", "-v", f"{tmp}/home:/home/agent"]
        extra += ["-w", "/workspace/repo"]
        server = serve(swarm, Path(tmp) / "data", make_repo(Path(tmp) / "repo"))
        try:
            wallfacer_dispatch(server)  # warm caches on both sides once
            raw_docker_run(swarm.image, extra)
            raw = (
                "docker run (CLI), first stdout line",
                lambda: raw_docker_run(swarm.image, extra),
            )
            run = ("swarm: POST start -> first line on SSE", lambda: wallfacer_dispatch(server))
            compare("P10 dispatch on a single-node swarm (fake agent)", raw, run, rounds, TARGET)
            made = (
                "swarm, made ahead: POST start -> first line on SSE",
                lambda: wallfacer_dispatch(server, ahead=True),
            )
            compare("P10 dispatch, made ahead (held service)", raw, made, rounds, TARGET)
            bare = (
                "bare service: create -> first log line",
                lambda: bare_service(swarm.client, swarm.image),
            )
            compare("P10 what Swarm itself takes", raw, bare, rounds, TARGET)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
