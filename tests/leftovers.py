"""What a fault may leave behind, checked from outside the app: the user's repository
whole, and no workspace, task ref or container that no task accounts for."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import docker

from runner.containers import LABEL_INSTANCE, instance_id
from tests.server_process import ServerProcess

# The states whose task keeps its workspace, branch and base ref (failed: for a resume).
KEEPS_WORKSPACE = ("in_progress", "waiting", "committing", "failed")


def stored(data_dir: Path, task_id: str) -> dict[str, Any]:
    """The task's row as the store has it, read the way a second process may: read-only."""
    db = sqlite3.connect(f"file:{data_dir / 'wallfacer.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        row = db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    finally:
        db.close()
    assert row is not None, task_id
    return dict(row)


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=120
    )


def assert_fsck_clean(repo: Path) -> None:
    checked = git(repo, "fsck", "--full", "--no-dangling")
    assert checked.returncode == 0 and not checked.stdout.strip(), checked


def assert_checkout_clean(repo: Path) -> None:
    """No file of the user's checkout differs from HEAD, and git is not locked."""
    status = git(repo, "status", "--porcelain", "--ignored")
    assert status.returncode == 0 and status.stdout == "", status
    locks = list((repo / ".git").rglob("*.lock"))
    assert not locks, f"git lock files were left behind: {locks}"


def assert_no_orphans(server: ServerProcess, repo: Path, client: docker.DockerClient) -> None:
    """Every workspace, task branch, base ref and container belongs to a task that needs it."""
    db = sqlite3.connect(f"file:{server.data_dir / 'wallfacer.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, status, container_id FROM tasks").fetchall()
    finally:
        db.close()
    keeping = {task_id for task_id, status, _ in rows if status in KEEPS_WORKSPACE}
    running = {task_id for task_id, status, _ in rows if status == "in_progress"}
    workspaces_dir = server.data_dir / "workspaces"
    folders = {p.name for p in workspaces_dir.iterdir()} if workspaces_dir.exists() else set()
    assert folders <= keeping, f"orphan workspaces: {folders - keeping}"
    refs = subprocess.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(refname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    ours = [ref for ref in refs if ref.startswith(("refs/wallfacer/", "refs/heads/task/"))]
    prefixes = {task_id[:8] for task_id in keeping}
    orphans = [ref for ref in ours if ref.rpartition("/")[2] not in prefixes]
    assert not orphans, f"orphan task refs: {orphans}"
    label = f"{LABEL_INSTANCE}={instance_id(server.data_dir)}"
    containers = client.containers.list(all=True, filters={"label": label})
    tasks = {c.labels.get("wallfacer.task", "") for c in containers}
    assert tasks <= running, f"orphan containers of tasks {tasks - running}"
