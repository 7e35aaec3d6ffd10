"""Workspace creation on a 200-file repo, reported next to `git worktree add`.

A workspace is a repository of its own that borrows the user's objects, so
the container never sees the user's .git; this measures what that costs at
task start. Run: python -m bench.p7_workspace [ROUNDS]  (git CLI for the baseline)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.p3_accept import FILES, git
from bench.stats import compare
from runner import workspaces
from runner.repos import inspect_repo
from tests.gitrepo import make_repo

# Reported, not a bar yet: the big-repo work pools workspaces.
TARGET = 2.0


def with_worktree(repo: Path, root: Path, n: int) -> float:
    start = time.perf_counter()
    git(repo, "worktree", "add", "-q", "-b", f"wt/{n}", str(root / f"wt{n}"))
    return time.perf_counter() - start


def with_workspace(repo: Path, root: Path, n: int) -> float:
    info = inspect_repo(repo)
    start = time.perf_counter()
    workspaces.create(info, f"{n:08d}bench", root / f"ws{n}", "main")
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = make_repo(root / "repo", FILES)
        counter = iter(range(10**6))
        compare(
            "P7 workspace creation (200-file repo)",
            ("git worktree add", lambda: with_worktree(repo, root, next(counter))),
            ("workspaces.create", lambda: with_workspace(repo, root, next(counter))),
            rounds,
            TARGET,
        )


if __name__ == "__main__":
    main()
