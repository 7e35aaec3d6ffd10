"""P3 accept: commit + rebase + fast-forward of a one-commit task, vs the same git CLI sequence.

Run: python -m bench.p3_accept [ROUNDS]   (needs the git CLI for the baseline only)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import compare
from runner import merge, workspaces
from runner.repos import inspect_repo
from tests.gitrepo import commit, make_repo

TARGET = 1.2
FILES = {f"src/module_{n}.py": f"value = {n}\n" * 20 for n in range(200)}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def with_git_cli(root: Path, n: int) -> float:
    """The baseline: a linked worktree, committed and rebased with the git CLI."""
    repo = make_repo(root / f"repo{n}", FILES)
    worktree, branch = root / f"wt{n}", f"task/{n:08d}"
    git(repo, "worktree", "add", "-q", "-b", branch, str(worktree))
    commit(repo, {"user.txt": "main moved on\n"})
    (worktree / "feature.txt").write_text("the task's change\n")
    start = time.perf_counter()
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "feature")
    git(worktree, "rebase", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", branch)
    return time.perf_counter() - start


def with_wallfacer(root: Path, n: int) -> float:
    """Accept reads the workspace's files as data, then commits, rebases, fast-forwards."""
    repo = make_repo(root / f"repo{n}", FILES)
    ws = workspaces.create(inspect_repo(repo), f"{n:08d}bench", root / f"ws{n}", "main")
    commit(repo, {"user.txt": "main moved on\n"})
    (ws.path / "feature.txt").write_text("the task's change\n")
    start = time.perf_counter()
    merge.accept(repo, ws, "main", "feature")
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        counter = iter(range(10**6))
        compare(
            "P3 accept (200-file repo, main moved by one commit)",
            ("git add/commit/rebase/merge --ff-only", lambda: with_git_cli(root, next(counter))),
            ("runner.merge.accept (pygit2)", lambda: with_wallfacer(root, next(counter))),
            rounds,
            TARGET,
        )


if __name__ == "__main__":
    main()
