"""The swarm backend: each run a ``replicated-job`` service on a Docker Swarm.

It is an ``Engine`` whose run calls (create, start, stream, wait, exists,
remove, list) speak of services, named by the id ``create`` returns; the
rest (images, their users, the runtime) is the manager's engine, inherited.
So nothing above the runner knows which backend is in use.

No host path reaches a node: the run's files are shipped (``shipping``)
through the app's advertise URL, with a token of the run's own, never the
API token; its plan and the token's hash stay in the data dir (``remote``),
so a run re-adopted after a restart can still send its result.
A kill for memory is asked of the task's node's engine (``swarmnodes``); the
allowlist's proxy is a service (``swarmnet``).

A created run is only a spec held here until its start: a service starts
as soon as it exists. A run made ahead of a start is the exception: its service
is made at once and its wrapper held at its fetch (``remote``), so that the
start, which then only lets it fetch, skips Swarm's scheduling (its
dispatcher alone waits 100 ms to batch a node's assignments). Swarm cannot set
no-new-privileges on a service; the ship wrapper refuses to run the agent
without it (the nodes' daemons run with ``--no-new-privileges``).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.types import ServiceMode
from docker.utils import parse_bytes

from runner import egress, remote, shipping
from runner.containers import LABEL_INSTANCE, LABEL_TASK, TMPFS, ContainerState, Exit
from runner.errors import RunnerError
from runner.lines import split_lines
from runner.reach import Unreachable
from runner.runspec import RunSpec
from runner.swarmnodes import Nodes

# The states a service's task never leaves (docker/swarmkit's TaskState).
ENDED = frozenset({"complete", "failed", "rejected", "shutdown", "orphaned", "remove"})
POLL_S = 0.5  # how often a run's task state is read while it runs
# The longest a run made ahead is waited for, until it asks for its files: a start
# waits for a preparation under way, and must not wait longer than a run made then.
ASKED_S = 5.0


def scratch(target: str, user: str) -> dict[str, Any]:
    """A tmpfs of the run's user at ``target``. Swarm's own tmpfs mounts ignore their
    mode (Docker 20.10), leaving root's folder; the local volume driver's tmpfs
    takes an owner, and an anonymous volume goes with its container."""
    uid, _, gid = user.partition(":")
    options = f"{TMPFS['/tmp']},uid={uid},gid={gid or uid},mode=0700"
    return {
        "Target": target,
        "Type": "volume",
        "VolumeOptions": {
            "NoCopy": True,
            "DriverConfig": {
                "Name": "local",
                "Options": {"type": "tmpfs", "device": "tmpfs", "o": options},
            },
        },
    }


class SwarmEngine(remote.RemoteEngine):
    def __init__(
        self,
        advertise_url: str,
        marks: Path,
        constraints: tuple[str, ...] = (),
        nodes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(advertise_url, marks)
        self.constraints = list(constraints)
        self.nodes = Nodes(self, nodes)

    def create(self, spec: RunSpec, ahead: bool = False) -> str:
        if not spec.network or spec.network == "none":
            raise RunnerError(
                "a swarm run fetches its workspace from the app, so it needs a network "
                "that reaches the advertise URL: set the egress mode to allowlist, or to "
                "open with a network (--network) the nodes' tasks can use"
            )
        self._image(spec.image)  # a missing image is said now, as locally
        name = re.sub(r"[^a-z0-9-]", "-", spec.task_id.lower())[:40]
        run = f"wf-{name}-{secrets.token_hex(4)}"
        if not ahead:
            return self._plan(run, spec, ahead)
        self._hold(run)
        try:
            self._make(run, spec)
        except BaseException:
            self.remove(run)
            raise
        self._until_asked(run, ASKED_S)
        return run

    def start(self, container_id: str) -> Iterator[str]:
        if not self._release(container_id):
            self._make(container_id, self._take(container_id))
        return self.stream(container_id)

    def _make(self, container_id: str, spec: RunSpec) -> None:
        """The run's service, its plan and token's hash kept before it can ask for them."""
        token = remote.new_token()
        api = self.client().api
        image = self._image(spec.image)
        self.nodes.push(str(image["Id"]))
        url = f"{self._ship_base(spec)}/api/ship/{container_id}"
        command, env = remote.launch(image, spec, url, token)
        plan = shipping.Plan.of(spec)
        limits: dict[str, Any] = {"Pids": spec.pids_limit}
        if spec.cpus:
            limits["NanoCPUs"] = int(spec.cpus * 1e9)
        if spec.memory:
            limits["MemoryBytes"] = parse_bytes(spec.memory)
        task_template = {
            "ContainerSpec": {
                # The image's id, not its tag: the node runs what the app checked.
                "Image": image["Id"],
                "Command": list(remote.WRAPPER),
                "Args": command,
                "Env": [f"{k}={v}" for k, v in env.items()],
                "User": spec.user,
                "Dir": "/",
                "ReadOnly": True,
                "CapabilityDrop": ["ALL"],
                "Mounts": [scratch(target, spec.user) for target in remote.SCRATCH],
            },
            "Resources": {
                "Limits": limits,
                "Reservations": {k: v for k, v in limits.items() if k != "Pids"},
            },
            "RestartPolicy": {"Condition": "none", "MaxAttempts": 0},
            "Placement": {"Constraints": self.constraints},
            "Networks": [{"Target": spec.network}],
        }
        labels = {
            LABEL_TASK: spec.task_id,
            LABEL_INSTANCE: spec.instance,
        }
        self._ships.remember(container_id, token, plan)
        self._call(
            api.create_service,
            task_template,
            name=container_id,
            labels=labels,
            mode=ServiceMode("replicated-job"),
        )

    def _ship_base(self, spec: RunSpec) -> str:
        """Where the run reaches the app: behind the egress proxy (``swarmnet``), through
        the proxy's own path to the app, the run having no other way out."""
        behind = spec.env.get("http_proxy") == egress.URL
        return egress.REVERSE_URL if behind else self.advertise_url

    def address(self, container_id: str) -> str:
        """Where a preview reaches a run: on the host network, its node's own address;
        on an overlay, the run's address there if this app's own container is on it
        too (a process on a node is on no overlay)."""
        task = self._task(container_id)
        if task is None or task["Status"]["State"] != "running":
            raise Unreachable("the run is not running; the preview works while it runs")
        attached = {
            a["Network"]["Spec"]["Name"]: a.get("Addresses") or []
            for a in task.get("NetworksAttachments") or []
        }
        if "host" in attached:
            node = self._call(self.client().api.inspect_node, task["NodeID"])
            return str(node["Status"]["Addr"])
        for name in self._own_networks():
            if attached.get(name):
                return str(attached[name][0]).partition("/")[0]
        raise Unreachable(
            f"the run is on {', '.join(attached) or 'no network'}, which this app is not "
            "on: on a swarm a preview goes through a network the app is attached to (run "
            "the app in a container on the tasks' --network), or the node's own (--network "
            "host)"
        )

    def _own_networks(self) -> list[str]:
        """The networks of the container this app runs in, if it runs in one on this
        engine (its hostname is its id's start); none for a process on a node."""
        name = socket.gethostname()
        try:
            info = self._call(self.client().api.inspect_container, name)
        except docker.errors.APIError:
            return []
        if not str(info.get("Id", "")).startswith(name):
            return []
        return list((info.get("NetworkSettings") or {}).get("Networks") or {})

    def _task(self, run: str) -> dict[str, Any] | None:
        """The service's one task, None while it has none or once the service is gone."""
        try:
            found = self._call(self.client().api.tasks, filters={"service": run})
        except docker.errors.NotFound:
            return None
        return dict(found[0]) if found else None

    def _ended(self, run: str) -> bool:
        if not self.exists(run):
            return True
        task = self._task(run)
        return task is not None and (task["Status"]["State"] in ENDED or bool(self._lost(task)))

    def _lost(self, task: dict[str, Any]) -> str:
        """Why a task's node is gone while the task has not ended, or "": Swarm keeps
        such a job's task running for as long as the node stays down."""
        node_id = task.get("NodeID")
        if not node_id or task["Status"]["State"] in ENDED:
            return ""
        try:
            node = self._call(self.client().api.inspect_node, node_id)
        except docker.errors.NotFound:
            return f"the node {node_id[:12]} running the task left the swarm mid-run"
        if node.get("Status", {}).get("State") != "down":
            return ""
        name = node.get("Description", {}).get("Hostname", "")
        return f"the node {name} ({node_id[:12]}) running the task was lost mid-run"

    def stream(self, container_id: str, skip: int = 0) -> Iterator[str]:
        """The run's stdout lines, each once, followed through the service.

        A service's log never ends by itself, even once its job has: a watcher
        ends the follow when the task has, and the log is then read to its end
        past the lines already yielded.
        """
        api = self.client().api
        url = api._url("/services/{0}/logs", container_id)

        def logs(follow: bool) -> Any:
            params = {"stdout": 1, "stderr": 0, "follow": int(follow), "tail": "all"}
            return self._call(api._get, url, params=params, stream=True)

        try:
            response = logs(True)
        except docker.errors.NotFound:
            return
        done = threading.Event()

        def watch() -> None:
            while not done.wait(POLL_S):
                try:
                    ended = self._ended(container_id)
                except RunnerError:
                    ended = True
                if ended:
                    with contextlib.suppress(OSError):
                        raw = api._get_raw_response_socket(response)
                        getattr(raw, "_sock", raw).shutdown(socket.SHUT_RDWR)  # wakes the read
                    return

        watcher = threading.Thread(target=watch, name=f"watch-{container_id}", daemon=True)
        watcher.start()
        read = 0
        try:
            chunks = api._multiplexed_response_stream_helper(response)
            for line in split_lines(chunks, partial=False):
                read += 1
                if read > skip:
                    yield line
        except Exception:  # the follow cut short (the watcher, a lost node, the engine):
            pass  # what it missed is read below, once the job has ended
        finally:
            done.set()
            response.close()
        self.wait(container_id)
        try:
            rest = logs(False)
        except docker.errors.NotFound:  # removed (a cancel): there is no more to read
            return
        try:
            chunks = api._multiplexed_response_stream_helper(rest)
            for number, line in enumerate(split_lines(chunks), 1):
                if number > max(read, skip):
                    yield line
        finally:
            rest.close()

    def wait(self, container_id: str) -> Exit:
        """The job's end: its exit code, and why when it has none or refused its result."""
        done = threading.Event()
        while not self._ended(container_id):
            done.wait(POLL_S)
        task = self._task(container_id) or {}
        status = task.get("Status", {})
        lost = self._lost(task) if task else ""
        code = None if lost else status.get("ContainerStatus", {}).get("ExitCode")
        oom = code is not None and self._oom(task, int(code))
        why = [lost, self._ships.refusal(container_id)]
        why.append(status.get("Err", ""))
        try:
            stderr = self._call(
                self.client().api.service_logs, container_id, stdout=False, stderr=True, tail=20
            )
            why.append(b"".join(stderr).decode("utf-8", errors="replace").strip())
        except docker.errors.NotFound:
            pass
        return Exit(
            code=int(code) if code is not None else -1,
            oom_killed=oom,
            stderr_tail="\n".join(part for part in why if part),
        )

    def _oom(self, task: dict[str, Any], code: int) -> bool:
        """Whether the kernel killed a process of the run for its memory limit, as its
        node's engine says; where the app reaches no engine of that node, a kill
        (137) under a memory limit is taken for one."""
        container = task["Status"].get("ContainerStatus", {}).get("ContainerID")
        seen = self.nodes.container(task.get("NodeID", ""), container) if container else None
        if seen is not None:
            return bool(seen.get("State", {}).get("OOMKilled"))
        limits = task.get("Spec", {}).get("Resources", {}).get("Limits", {})
        return code == 137 and bool(limits.get("MemoryBytes"))

    def created(self, container_id: str) -> bool:
        """Also whether a run made ahead is still there to start: one whose task has
        ended (its node lost, its wrapper refused) is not, and a start makes another."""
        if not super().created(container_id):
            return False
        if not self._is_held(container_id):
            return True
        task = self._task(container_id)
        return task is None or task["Status"]["State"] not in ENDED

    def exists(self, container_id: str) -> bool:
        if self.created(container_id):
            return True
        try:
            self._call(self.client().api.inspect_service, container_id)
        except docker.errors.NotFound:
            return False
        return True

    def remove(self, container_id: str) -> None:
        """Cancel: the service goes, and with it its task's container on its node."""
        try:
            if not self._unplan(container_id):
                with contextlib.suppress(docker.errors.NotFound):
                    self._call(self.client().api.remove_service, container_id)
        finally:
            self._ships.forget(container_id)  # once the run can send nothing more
            self._release(container_id)  # a held fetch ends, refused: its plan is gone

    def remove_orphan_holders(self, instance: str) -> None:
        """No holders: a service's network is its own. What a preparation cut off by a
        crash can leave is the marks of a run made ahead whose service was never made
        (nothing is made ahead again before this sweep is over)."""
        for run in self._ships.held_runs():
            if not self.exists(run):
                self._ships.forget(run)

    def list(self, instance: str) -> list[ContainerState]:
        found = self._call(
            self.client().api.services, filters={"label": f"{LABEL_INSTANCE}={instance}"}
        )
        runs = []
        for service in found:
            run = service["Spec"]["Name"]
            task = self._task(run)
            state = (task or {}).get("Status", {}).get("State", "")
            labels = service["Spec"].get("Labels") or {}
            held = self._ships.held(run)  # made ahead, never started
            runs.append(
                ContainerState(run, labels.get(LABEL_TASK, ""), state not in ENDED, not held, held)
            )
        return [*runs, *self._planned(instance)]
