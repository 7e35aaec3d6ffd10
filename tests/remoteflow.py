"""The second half of a task's life on a remote backend, asserted alike everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gitrepo import branches, file_on_branch, task_refs
from tests.server_process import ServerProcess


def answered_and_landed(
    server: ServerProcess, waiting: dict[str, Any], repo: Path, written: str, timeout: float
) -> None:
    """Feedback resumes the run's session, whose CLI total travelled with its home; the
    accept lands both lines (``written``, then the feedback's) on main, leaving no
    task branch behind."""
    task_id = waiting["id"]
    server.act(task_id, "feedback", {"message": "append hello.txt and goodbye"})
    again = server.wait_for(task_id, "waiting", timeout=timeout)
    assert again["session_id"] == waiting["session_id"]
    # The CLI's session total is kept in its home: it came back and went out again.
    assert again["usage"]["cost_usd"] == pytest.approx(0.025, abs=1e-9)
    server.act(task_id, "accept")
    server.wait_for(task_id, "done", timeout=60)
    assert file_on_branch(repo, "main", "hello.txt") == f"{written}\nand goodbye\n"
    assert branches(repo) == ["main"]
    assert task_refs(repo) == []
