"""F8 the diff endpoint's memory: server RSS growth for GET /diff of a task that wrote
a huge file, one request and four at once, target < 20 MB growth.

The server is the real app in a child process; its RSS is read from
/proc/<pid>/status. The baseline is its RSS in the same run, after a diff of a
small change (so code loaded on first use is not counted); the peak (VmHWM) is
reset before each measurement. Two files: 200 MB (the issue's case) and the
largest a workspace takes (just under runner.workspaces.MAX_FILE_BYTES), both
text, each beside a small edit.

Run: python -m bench.f8_diff_memory [SOURCE_TREE]   (another checkout's code, e.g. to
compare with main; the seeding uses this one's)
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from runner import repos, workspaces
from server.model import Task
from server.states import Status
from server.store import Store
from tests.gitrepo import make_repo
from tests.server_process import ROOT, ServerProcess

TARGET_MB = 20
MB = 1024 * 1024
SIZES = {"200 MB": 200 * MB, "largest taken": workspaces.MAX_FILE_BYTES - MB}
LINE = b"a line of generated output, as a build or a data dump writes it: 0123456789\n"


def write_text(path: Path, size: int) -> None:
    """``size`` bytes of text lines, written a megabyte at a time."""
    chunk = LINE * (MB // len(LINE))
    with open(path, "wb") as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(chunk[: size % len(chunk)])


def seed(root: Path, store: Store, repo: Path, name: str, big: int) -> str:
    """A waiting task whose workspace edits README.md and, if ``big``, adds a file that size."""
    task_id = str(uuid.uuid4())
    ws = workspaces.create(repos.inspect_repo(repo), task_id, root / "ws" / task_id, "main")
    (ws.path / "README.md").write_text("# demo\nedited by the task\n")
    if big:
        write_text(ws.path / "dump.txt", big)
    store.create_task(Task(id=task_id, prompt=name, status=Status.BACKLOG, repo=str(repo)))
    store.update_task(
        task_id,
        status=Status.WAITING,
        worktree=str(ws.path),
        branch=ws.branch,
        base_commit=ws.base_commit,
        base_branch="main",
    )
    return task_id


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak since the last reset), in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS


def get_diff(server: ServerProcess, task_id: str) -> tuple[int, int]:
    response = requests.get(
        f"{server.url}/api/tasks/{task_id}/diff",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=600,
    )
    return response.status_code, len(response.content)


def measure(server: ServerProcess, pid: int, task_id: str, clients: int) -> str:
    before = memory(pid)["VmRSS"]
    reset_peak(pid)
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _: get_diff(server, task_id), range(clients)))
    peak = memory(pid)["VmHWM"]
    growth = (peak - before) / 1024
    verdict = "meets" if growth < TARGET_MB else "MISSES"
    status, size = answers[0]
    return (
        f"{clients} at once: RSS {before / 1024:.0f} MB -> peak {peak / 1024:.0f} MB, "
        f"growth {growth:.1f} MB ({verdict} < {TARGET_MB}); HTTP {status}, {size} bytes"
    )


def main() -> None:
    source = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = make_repo(root / "repo")
        store = Store(root / "data" / "wallfacer.db")
        small = seed(root, store, repo, "small", 0)
        big = {name: seed(root, store, repo, name, size) for name, size in SIZES.items()}
        store.close()
        server = ServerProcess(root / "data", [repo], image="unused:0", root=source)
        server.start()
        try:
            assert server.proc is not None
            pid = server.proc.pid
            get_diff(server, small)  # warm: the diff code and Pygments are loaded
            print(f"F8 GET /diff memory, server from {source}")
            for name, task_id in big.items():
                print(f"  {name} file:")
                for clients in (1, 4):
                    print("    " + measure(server, pid, task_id, clients))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
