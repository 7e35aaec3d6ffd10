"""The Linux bundle is complete: it starts, serves, and runs a task end to end."""

from __future__ import annotations

from pathlib import Path

from tests.gitrepo import file_on_branch
from tests.packaging.bundle import bundle_dir, size_mb
from tests.server_process import ServerProcess


class BundledServer(ServerProcess):
    """The same server, started from the bundle's executable instead of `python -m app`."""

    executable: Path

    def command(self) -> list[str]:
        return [str(self.executable), *super().command()[3:]]


def test_the_bundle_serves_and_runs_a_task(tmp_path: Path, repo: Path, sandbox_image: str) -> None:
    app = bundle_dir()
    size = size_mb(app)
    print(f"bundle: {app} is {size:.0f} MB")
    assert size < 100, "the Linux bundle without Qt stays under 100 MB"
    server = BundledServer(tmp_path / "data", [repo], sandbox_image)
    server.executable = app / "Wallfacer"
    server.start()
    try:
        health = server.request("GET", "/health", auth=False).json()
        assert health == {**health, "status": "ok", "docker": True}
        assert health["version"] != "0.0.0+source", "package metadata is bundled"
        page = server.request("GET", "/", auth=False)
        assert page.status_code == 200 and "board.css" in page.text, "static files are bundled"
        task = server.create("write bundled.txt from the bundle")
        server.act(task["id"], "start")
        server.wait_for(task["id"], "waiting")
        server.act(task["id"], "accept")
        server.wait_for(task["id"], "done")
        assert file_on_branch(repo, "main", "bundled.txt") == "from the bundle\n"
    finally:
        server.stop()
