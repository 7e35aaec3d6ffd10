"""Backups taken while serving restore every task and every log entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.server_process import ServerProcess, cli


def test_backup_delete_restore_round_trip(server: ServerProcess, tmp_path: Path) -> None:
    done = server.create("write kept.txt kept")
    server.act(done["id"], "start")
    server.wait_for(done["id"], "waiting")
    server.create("still in the backlog")
    tasks_before = server.api("GET", "/api/tasks")["tasks"]
    events_before = server.events(done["id"])
    assert len(events_before) > 3

    backup = tmp_path / "backup.db"
    made = cli("backup", str(backup), "--data-dir", str(server.data_dir))
    assert made.returncode == 0, made.stderr

    refused = cli("restore", str(backup), "--data-dir", str(server.data_dir))
    assert refused.returncode == 1 and "stop it first" in refused.stderr

    server.stop()
    token = server.token
    shutil.rmtree(server.data_dir)
    restored = cli("restore", str(backup), "--data-dir", str(server.data_dir))
    assert restored.returncode == 0, restored.stderr
    (server.data_dir / "token").write_text(token)

    server.start()
    assert server.api("GET", "/api/tasks")["tasks"] == tasks_before
    assert server.events(done["id"]) == events_before


def test_restore_keeps_the_store_it_replaces(tmp_path: Path, bare_server: ServerProcess) -> None:
    bare_server.create("one")
    backup = tmp_path / "b.db"
    assert cli("backup", str(backup), "--data-dir", str(bare_server.data_dir)).returncode == 0
    bare_server.stop()
    assert cli("restore", str(backup), "--data-dir", str(bare_server.data_dir)).returncode == 0
    kept = list(bare_server.data_dir.glob("wallfacer.db.before-restore-*"))
    assert len(kept) == 1


def test_json_logs_are_one_object_per_line(tmp_path: Path, repo: Path) -> None:
    server = ServerProcess(
        tmp_path / "data", [repo], image="unused:0", extra_args=("--log-format", "json")
    )
    server.start()
    server.stop()
    lines = (server.data_dir / "logs" / "wallfacer.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert any("serving on" in e["message"] for e in entries)
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
