"""Workspace bootstrap on the real engine: .worktreeinclude copies, the setup script
that runs before the agent (through the wrapper entrypoint), and what refuses them."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from runner import boot
from tests.e2e.test_attacks import ATTACKER_DIR, attack, ready_entries
from tests.e2e.test_prepared import prepared, running
from tests.engine import BUSYBOX, build_sandbox
from tests.gitrepo import commit
from tests.inprocess import InProcessServer
from tests.polling import until
from tests.server_process import ServerProcess


def workspace(server: ServerProcess, task_id: str) -> Path:
    return server.data_dir / "workspaces" / task_id / "work" / "project"


def log_text(server: ServerProcess, task_id: str) -> str:
    """Everything in the task's log: raw lines, parsed events and notes."""
    entries: list[Any] = []
    for ev in server.events(task_id):
        entries.append(ev["data"].get("line", "") if ev["type"] == "output" else "")
        entries.append(ev["data"])
    return "\n".join(map(str, entries))


def setup_script(repo: Path, script: str) -> None:
    (repo / ".wallfacer").mkdir(exist_ok=True)
    (repo / ".wallfacer" / "setup.sh").write_text(script)


def test_worktreeinclude_copies_ignored_files_and_nothing_from_outside(
    server: ServerProcess, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.env"
    outside.write_text("NOT=yours\n")
    commit(
        repo,
        {
            ".gitignore": ".env\n*.local\nsecrets/\n",
            ".worktreeinclude": "# copied into each workspace\n.env\nconfig/*.local\n"
            "secrets/\nnotes.txt\nlink.local\n../outside.env\n!secrets/skip\n",
        },
    )
    (repo / ".env").write_text("TOKEN=abc\n")
    (repo / "config").mkdir()
    (repo / "config" / "app.local").write_text("local config\n")
    (repo / "secrets" / "deep").mkdir(parents=True)
    (repo / "secrets" / "deep" / "key").write_text("deep key\n")
    (repo / "secrets" / "skip").write_text("negated\n")
    (repo / "notes.txt").write_text("untracked but not ignored\n")
    (repo / "link.local").symlink_to(outside)

    task = server.create("run cat .env config/app.local secrets/deep/key")
    server.act(task["id"], "start")
    assert server.wait_for(task["id"], "waiting")["error"] == ""
    log = log_text(server, task["id"])
    assert "TOKEN=abc" in log and "local config" in log and "deep key" in log
    assert "'../outside.env' reaches outside the repository; ignored" in log
    assert "link.local is not a regular file (a link?); not copied" in log
    ws = workspace(server, task["id"])
    assert (ws / ".env").read_text() == "TOKEN=abc\n"
    assert not (ws / "notes.txt").exists(), "only ignored files are copied"
    assert not (ws / "secrets" / "skip").exists(), "a negated glob excludes"
    assert not (ws / "link.local").exists() and not (ws / "outside.env").exists()
    assert "NOT=yours" not in log
    # Ignored, the copies are no change of the task's.
    assert server.api("GET", f"/api/tasks/{task['id']}/diff")["files"] == []


@pytest.mark.usefixtures("quick_pool")
def test_a_recycled_workspace_gets_the_copies_afresh(server: ServerProcess, repo: Path) -> None:
    """What one task's agent made of its copies never reaches the next task."""
    data = server.data_dir
    commit(repo, {".gitignore": ".env\n", ".worktreeinclude": ".env\n"})
    (repo / ".env").write_text("FIRST\n")
    until("the pool's first workspace", lambda: len(ready_entries(data)) == 1)
    first = server.create("write .env changed by the agent")
    server.act(first["id"], "start")
    server.wait_for(first["id"], "waiting")
    planted = workspace(server, first["id"]).stat().st_ino
    until("the pool's refill", lambda: len(ready_entries(data)) == 1)
    server.act(first["id"], "cancel")
    second = server.create("say takes the fresh one")
    server.act(second["id"], "start")
    server.wait_for(second["id"], "waiting")
    until("the recycled workspace", lambda: planted in ready_entries(data))
    (repo / ".env").write_text("SECOND\n")

    third = server.create("say takes the recycled one")
    server.act(third["id"], "start")
    assert server.wait_for(third["id"], "waiting")["error"] == ""
    reused = workspace(server, third["id"])
    assert reused.stat().st_ino == planted
    assert (reused / ".env").read_text() == "SECOND\n"
    assert ".worktreeinclude" not in log_text(server, third["id"]), "nothing refused"


def test_the_setup_script_runs_before_the_agent_and_installs_into_the_prefix(
    server: ServerProcess, repo: Path
) -> None:
    setup_script(
        repo,
        'echo installing tools\nmkdir -p "$WALLFACER_PREFIX/bin"\n'
        "printf '#!/bin/sh\\necho mytool ran from $0\\n' > \"$WALLFACER_PREFIX/bin/mytool\"\n"
        'chmod +x "$WALLFACER_PREFIX/bin/mytool"\necho to stderr >&2\npwd\n',
    )
    task = server.create("run mytool")
    server.act(task["id"], "start")
    assert server.wait_for(task["id"], "waiting")["error"] == ""
    events = server.events(task["id"])
    lines = [ev["data"]["line"] for ev in events if ev["type"] == "output"]
    assert lines[:4] == [
        "[setup] installing tools",
        "[setup] to stderr",
        "[setup] /workspace/project",
        lines[3],
    ]
    assert '"subtype":"init"' in lines[3], "the agent starts once the setup is done"
    log = log_text(server, task["id"])
    assert "running .wallfacer/setup.sh before the agent" in log
    assert f"mytool ran from {boot.PREFIX}/bin/mytool (exit 0)" in log


def test_a_failing_setup_script_fails_the_run_with_the_reason(
    server: ServerProcess, repo: Path
) -> None:
    setup_script(repo, "echo step one\necho about to fail >&2\nexit 3\n")
    task = server.create("write never.txt the agent never runs")
    server.act(task["id"], "start")
    failed = server.wait_for(task["id"], "failed")
    assert failed["error"].startswith(
        "the setup step failed with exit code 3 before the agent started; its last lines:"
    ), failed["error"]
    assert "step one\nabout to fail" in failed["error"]
    log = log_text(server, task["id"])
    assert "[setup] about to fail" in log and '"subtype":"init"' not in log
    assert not (workspace(server, task["id"]) / "never.txt").exists()


def test_a_setup_script_changed_after_a_preparation_makes_it_stale(
    server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    setup_script(repo, "echo first version\n")
    task = server.create("say hello")
    made = prepared(server, docker_client, task["id"])
    setup_script(repo, "echo second version\nsleep 1\n")
    server.act(task["id"], "start")
    assert running(docker_client, task["id"])["Id"] != made, "the stale container was dropped"
    server.wait_for(task["id"], "waiting")
    log = log_text(server, task["id"])
    assert "[setup] second version" in log and "first version" not in log


def test_an_include_list_changed_after_a_preparation_makes_it_stale(
    server: ServerProcess, repo: Path, docker_client: docker.DockerClient
) -> None:
    commit(repo, {".gitignore": ".env\n"})
    (repo / ".env").write_text("A=1\n")
    task = server.create("say hello\nsleep 1")
    made = prepared(server, docker_client, task["id"])
    (repo / ".worktreeinclude").write_text(".env\n")
    server.act(task["id"], "start")
    assert running(docker_client, task["id"])["Id"] != made
    server.wait_for(task["id"], "waiting")
    assert (workspace(server, task["id"]) / ".env").read_text() == "A=1\n"


@pytest.fixture
def no_shell_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """An image whose agent is a static binary and that has no /bin/sh."""
    tag = f"wallfacer-test-nosh:{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy(BUSYBOX, Path(ctx) / "agent")
        (Path(ctx) / "Dockerfile").write_text(
            'FROM scratch\nCOPY agent /agent\nENTRYPOINT ["/agent", "true"]\n'
        )
        docker_client.images.build(path=ctx, tag=tag, rm=True, forcerm=True, network_mode="none")
    yield tag
    docker_client.images.remove(tag, force=True)


def test_an_image_without_a_shell_says_it_cannot_run_the_setup_script(
    tmp_path: Path, repo: Path, no_shell_image: str
) -> None:
    setup_script(repo, "echo never\n")
    server = InProcessServer(tmp_path / "data", [repo], image=no_shell_image)
    server.start()
    try:
        task = server.create("say hello")
        server.act(task["id"], "start")
        failed = server.wait_for(task["id"], "failed")
    finally:
        server.stop()
    assert failed["error"] == (
        f"the image {no_shell_image!r} has no /bin/sh, so it cannot run the steps before its "
        "agent (the repository's setup script); use an image with a shell"
    )


def test_the_agent_cannot_change_its_steps_or_the_wrapper(
    tmp_path: Path, repo: Path, docker_client: docker.DockerClient
) -> None:
    setup_script(repo, "echo setup ran\n")
    image = build_sandbox(docker_client, ATTACKER_DIR)
    server = InProcessServer(tmp_path / "data", [repo], image=image)
    server.start()
    try:
        task_id, out = attack(
            server,
            f"B={boot.BOOT}; echo x > $B/entry.sh && echo WROTE entry\n"
            "echo x > $B/steps/01-setup && echo WROTE step\n"
            "mkdir $B/steps/00-evil && echo WROTE step dir\n"
            "rm -rf $B/steps && echo WROTE removal\n"
            "ln -s / $B/root && echo WROTE link\n"
            "ls $B/steps",
        )
    finally:
        server.stop()
    assert "WROTE" not in out, out
    assert "01-setup" in out
    steps = tmp_path / "data" / "workspaces" / task_id / "boot"
    assert (steps / "steps" / "01-setup").read_text() == "echo setup ran\n"
    assert (steps / "entry.sh").read_bytes() == Path(boot.__file__).with_name(
        "entry.sh"
    ).read_bytes()
    assert sorted(p.name for p in steps.rglob("*")) == ["01-setup", "entry.sh", "steps"]


def test_the_settings_script_runs_first_then_the_repositorys(
    server: ServerProcess, repo: Path
) -> None:
    server.api("PUT", "/api/config", {"setup_script": "echo mine first"})
    setup_script(repo, "echo the project\n")
    task = server.create("say hello")
    server.act(task["id"], "start")
    server.wait_for(task["id"], "waiting")
    lines = [ev["data"]["line"] for ev in server.events(task["id"]) if ev["type"] == "output"]
    assert lines[:2] == ["[user-setup] mine first", "[setup] the project"]
    assert "running the settings' setup script before the agent" in log_text(server, task["id"])
