"""P11: 20 tasks at once (max_parallel 20) across a two-node swarm, all landing on main,
against the same 20 pinned to one node.

Both nodes are private dockerds on this machine, sharing its cores: the wall
time measures the overhead of spreading runs, not a scale-out. Nothing
touches the shared engine.

Run: python -m bench.p11_swarm_spread [TASKS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.gitrepo import file_on_branch, make_repo
from tests.swarm import Swarm, serve, single_node, worker


def wave(swarm: Swarm, folder: Path, tasks: int, *args: str) -> tuple[float, float, set[str]]:
    """Seconds from the first start to all waiting, then to all landed; the nodes used."""
    repo = make_repo(folder / "repo")
    server = serve(swarm, folder / "data", repo, "--max-parallel", str(tasks), *args)
    nodes: set[str] = set()
    try:
        ids = [server.create(f"write f{n}.txt task {n}")["id"] for n in range(tasks)]
        start = time.perf_counter()
        for task_id in ids:
            server.act(task_id, "start")
        for task_id in ids:
            for task in swarm.client.api.tasks(filters={"label": f"wallfacer.task={task_id}"}):
                nodes.add(task.get("NodeID", ""))
            server.wait_for(task_id, "waiting", timeout=600)
        ran = time.perf_counter() - start
        for task_id in ids:
            server.act(task_id, "accept")
            server.wait_for(task_id, "done", timeout=600)
        landed = time.perf_counter() - start
        assert all(file_on_branch(repo, "main", f"f{n}.txt") for n in range(tasks))
    finally:
        server.stop()
    return ran, landed, nodes


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp, single_node() as swarm, worker(swarm) as added:
        node, daemon = added
        spread = ("--node-engine", daemon.host)
        one = wave(swarm, Path(tmp) / "one", tasks, "--constraint", "node.role==manager")
        two = wave(swarm, Path(tmp) / "two", tasks, *spread)
        for name, (ran, landed, used) in (("one node", one), ("two nodes", two)):
            print(
                f"P11 {tasks} tasks on {name}: all waiting in {ran:.1f} s, all landed in "
                f"{landed:.1f} s, on {len(used - {''})} node(s)"
            )
        swarm.client.nodes.get(node).remove(force=True)


if __name__ == "__main__":
    main()
