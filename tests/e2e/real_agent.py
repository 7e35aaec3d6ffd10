"""The app running a real agent CLI in its bundled image, pointed at a stub of the
model API by the env file, as a user sets it up (shared by the real-CLI tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker

from tests.deploy.images import debian_base
from tests.server_process import ServerProcess, remove_egress


def serve_real_agent(
    tmp_path: Path, repo: Path, client: docker.DockerClient, env_file: str, cli: tuple[str, Path]
) -> Iterator[ServerProcess]:
    """``cli``: the WALLFACER_<AGENT>_BINARY variable and the CLI's npm prefix."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "env").write_text(env_file)
    server = ServerProcess(
        data,
        [repo],
        image=None,  # the bundled image, built by the app if missing
        extra_args=("--egress", "allowlist"),  # the default: the stub is reached via the proxy
        env={"WALLFACER_IMAGE_BASE": debian_base(client), cli[0]: str(cli[1])},
    )
    server.start()
    yield server
    server.stop()
    remove_egress(server)
