"""Task containers through the Docker Engine API (docker SDK; Podman via its socket).

One container per run of a task. Containers carry labels, so that after a
restart the app can find the ones it started and reattach to them. The docker
SDK is synchronous: call this module from worker threads only.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import docker
import docker.errors
import requests
from docker.types import Mount

from runner import boot, demux, holders, runspec, sockets
from runner.errors import ImageMissing, NoShell, RuntimeUnavailable, ShipDenied
from runner.homes import HOME
from runner.hostpaths import HostPaths
from runner.lines import split_lines

LABEL_TASK = "wallfacer.task"
LABEL_INSTANCE = "wallfacer.instance"
LABEL_AHEAD = "wallfacer.ahead"  # made ahead of a start that may never come


def instance_id(data_dir: Path) -> str:
    """Stable id of one app instance, so two data dirs never adopt each other's containers."""
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]


# The name a container uses for the host, mapped only where something must reach it.
HOST_GATEWAY = "host.docker.internal"
HOST_GATEWAY_MAPPING = {HOST_GATEWAY: "host-gateway"}
# What the container may write outside its workspace and home; its root is read-only.
TMPFS = {"/tmp": "rw,nosuid,nodev,size=1g"}


@dataclass(frozen=True)
class ContainerState:
    id: str
    task_id: str
    running: bool
    started: bool  # False: created ahead of a start (or cut off before it), never run
    ahead: bool  # made ahead of a start (see LABEL_AHEAD)


@dataclass(frozen=True)
class Exit:
    code: int
    oom_killed: bool
    stderr_tail: str


def _lines(stream: Any, partial: bool = True) -> Iterator[str]:
    """A container's output stream (the SDK's CancellableStream) as lines, its HTTP
    response closed once they are read. The SDK leaves that to its caller, and its
    own ``close`` leaves the socket open while the response holds it; left to the
    garbage collector (the socket and the response refer to each other), a busy
    server gathers such sockets by the dozen between full collections."""
    try:
        yield from split_lines(stream, partial=partial)
    finally:
        stream._response.close()


class Engine:
    """A lazily connected Docker client that reconnects after the engine comes back."""

    def __init__(self) -> None:
        self._client: docker.DockerClient | None = None
        self._host_paths: HostPaths | None = None
        self._lock = threading.Lock()

    def client(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                try:
                    client = sockets.connect()
                    client.ping()
                except docker.errors.DockerException as exc:
                    raise RuntimeUnavailable(
                        "cannot reach the container engine; start Docker (or Podman's "
                        f"Docker-compatible socket) and set DOCKER_HOST if needed ({exc})"
                    ) from exc
                self._client = client
                self._host_paths = HostPaths.detect(client.api)
            return self._client

    def close(self) -> None:
        """Let go of the connection pool; a later call connects again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one SDK call; a lost connection becomes RuntimeUnavailable.

        An APIError means the engine answered (not found, conflict, ...): the
        caller decides what that means, so it passes through unchanged.
        """
        try:
            return fn(*args, **kwargs)
        except docker.errors.APIError:
            raise
        except (docker.errors.DockerException, requests.RequestException) as exc:
            with self._lock:
                self._client = None
            raise RuntimeUnavailable(f"lost the container engine: {exc}") from exc

    def runtime(self) -> dict[str, object]:
        """Which engine this is, for the settings page and bug reports."""
        try:
            client = self.client()
            info = self._call(client.version)
        except RuntimeUnavailable as exc:
            return {
                "kind": None,
                "version": None,
                "socket": sockets.hint(),
                "reachable": False,
                "error": str(exc),
            }
        names = " ".join(c.get("Name", "") for c in info.get("Components", []))
        return {
            "kind": "podman" if "podman" in names.lower() else "docker",
            "version": info.get("Version"),
            "api_version": info.get("ApiVersion"),
            "socket": client.api.base_url,
            "reachable": True,
        }

    def available(self) -> bool:
        try:
            self._call(self.client().ping)
        except RuntimeUnavailable:
            return False
        return True

    def create(self, spec: runspec.RunSpec, ahead: bool = False) -> str:
        """Create the run's container, not started: ``ahead`` of a start, that is the
        part a start no longer waits for, network included (``runner.holders``).

        The low-level API is used on purpose: the high-level ``run`` pulls a
        missing image from a registry, which here would hang or fail opaquely.
        """
        api = self.client().api
        host = self._host_paths or HostPaths()
        labels = {LABEL_TASK: spec.task_id, LABEL_INSTANCE: spec.instance}
        hardening: dict[str, Any] = {
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "read_only": True,
        }
        network: dict[str, Any] = {
            "network_mode": spec.network or None,
            "extra_hosts": HOST_GATEWAY_MAPPING if spec.host_gateway else None,
        }
        holder = None
        if ahead:
            holder = self._call(
                holders.hold,
                api,
                spec.image,
                spec.user,
                api.create_host_config(**network, **hardening, pids_limit=4),
                labels,
            )
        if holder is not None:
            network = {"network_mode": holders.joining(holder)}
            labels[holders.LABEL_NETNS] = holder
        mounts = runspec.mounts(spec, host)
        entrypoint, command, env = None, spec.args, {**spec.env, "HOME": HOME}
        if spec.boot is not None:  # the wrapper first; it then runs what the image would
            mounts.append(Mount(boot.BOOT, host.translate(spec.boot), type="bind", read_only=True))
            entrypoint = boot.ENTRYPOINT
            command = boot.command(self._image(spec.image), spec.args)
            env["WALLFACER_PREFIX"] = boot.PREFIX
        host_config = api.create_host_config(
            mounts=mounts,
            nano_cpus=int(spec.cpus * 1e9) if spec.cpus else None,
            mem_limit=spec.memory or None,
            pids_limit=spec.pids_limit,
            tmpfs=TMPFS,
            **network,
            **hardening,
        )
        try:
            created = self._call(
                api.create_container,
                spec.image,
                command=command,
                entrypoint=entrypoint,
                working_dir=f"{runspec.WORKSPACE}/{spec.repo_name}",
                environment=env,
                user=spec.user,
                labels={**labels, **({LABEL_AHEAD: "1"} if ahead else {})},
                host_config=host_config,
            )
        except BaseException as exc:
            if holder is not None:
                self.remove(holder)
            if isinstance(exc, docker.errors.ImageNotFound):
                raise ImageMissing(
                    f"sandbox image {spec.image!r} is not on this machine; build it or "
                    "choose another with --image / WALLFACER_IMAGE"
                ) from exc
            raise
        container_id = str(created["Id"])
        if spec.boot is not None and not self._has(container_id, boot.SHELL):
            self.remove(container_id)
            raise NoShell(
                f"the image {spec.image!r} has no {boot.SHELL}, so it cannot run the steps "
                "before its agent (the repository's setup script); use an image with a shell"
            )
        return container_id

    def _has(self, container_id: str, path: str) -> bool:
        """Whether a created container's file system holds ``path`` (the engine's
        HEAD of an archive: nothing is copied, nothing started)."""
        api = self.client().api
        url = api._url("/containers/{0}/archive", container_id)
        answer = self._call(api.head, url, params={"path": path}, timeout=api.timeout)
        answer.close()
        if answer.status_code not in (200, 404):
            answer.raise_for_status()
        return bool(answer.status_code == 200)

    def start(self, container_id: str) -> Iterator[str]:
        """Start a created container; return its stdout lines. A container that fails
        to start is removed.

        Attaching before the start means the first line arrives the moment the
        agent prints it (``logs --follow`` can lag by a poll interval).
        """
        api = self.client().api

        def attach() -> Any:
            return self._call(
                api.attach, container_id, stdout=True, stderr=False, stream=True, logs=False
            )

        try:
            chunks = attach()
            try:
                self._call(api.start, container_id)
            except docker.errors.APIError:
                if not self._call(holders.revive, api, container_id):
                    raise
                chunks._response.close()  # it ended with the failed start (see _lines)
                chunks = attach()
                self._call(api.start, container_id)
        except BaseException:
            self.remove(container_id)
            raise
        return demux.lines(api, chunks)

    def created(self, container_id: str) -> bool:
        """Whether the container exists and was never started."""
        try:
            info = self._call(self.client().api.inspect_container, container_id)
        except docker.errors.NotFound:
            return False
        return bool(info.get("State", {}).get("Status") == "created")

    def image_id(self, image: str) -> str:
        """What a tag names now: a rebuild under the same tag is another image."""
        return str(self._image(image)["Id"])

    def image_user(self, image: str) -> str:
        """The USER an image declares ("" when none), to decide who its containers run as."""
        return str((self._image(image).get("Config") or {}).get("User") or "")

    def _image(self, image: str) -> dict[str, Any]:
        try:
            info: dict[str, Any] = self._call(self.client().api.inspect_image, image)
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(f"sandbox image {image!r} is not on this machine") from exc
        return info

    def stream(self, container_id: str, skip: int = 0) -> Iterator[str]:
        """Yield a container's stdout line by line from its start, following it while it
        runs, each line exactly once; ``skip`` drops the lines a reattach already has.

        ``logs --follow`` can end before the output does (Docker 20.10 drops a last
        line without a newline, and the tail when the container exits while the
        reader is behind), so once it ends the container is waited for and its log
        read again, to its end, past the lines already yielded.
        """
        api = self.client().api

        def logs(follow: bool) -> Any:
            return self._call(
                api.logs, container_id, stdout=True, stderr=False, stream=True, follow=follow
            )

        read = 0
        for line in _lines(logs(True), partial=False):
            read += 1
            if read > skip:
                yield line
        try:
            self._call(api.wait, container_id)
            rest = logs(False)
        except docker.errors.NotFound:  # removed (a cancel): there is no more to read
            return
        yield from itertools.islice(_lines(rest), max(read, skip), None)

    def wait(self, container_id: str) -> Exit:
        api = self.client().api
        status = self._call(api.wait, container_id)
        info = self._call(api.inspect_container, container_id)
        stderr = self._call(api.logs, container_id, stdout=False, stderr=True, tail=20)
        return Exit(
            code=int(status.get("StatusCode", -1)),
            oom_killed=bool(info.get("State", {}).get("OOMKilled")),
            stderr_tail=bytes(stderr).decode("utf-8", errors="replace").strip(),
        )

    def exists(self, container_id: str) -> bool:
        """Whether the engine still has the container, running or not."""
        try:
            self._call(self.client().api.inspect_container, container_id)
        except docker.errors.NotFound:
            return False
        return True

    def remove(self, container_id: str) -> None:
        """Kill (if running) and remove, with the holder of its network if it joined
        one; a container already gone is fine."""
        try:
            holder = holders.holder_of(
                self._call(self.client().api.inspect_container, container_id)
            )
        except docker.errors.NotFound:
            return
        for gone in (container_id, holder):
            try:
                if gone is not None:
                    self._call(self.client().api.remove_container, gone, force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # removal already in progress
                    raise

    def remove_orphan_holders(self, instance: str) -> None:
        """Remove the holders whose container is gone without them (a crash between
        the two, or a container removed by hand)."""
        api = self.client().api
        for holder in self._call(holders.orphans, api, f"{LABEL_INSTANCE}={instance}"):
            self.remove(holder)

    def list(self, instance: str) -> list[ContainerState]:
        """Every container of a run this app instance made that still exists (the
        holders of their networks are not runs)."""
        found = self._call(
            self.client().api.containers,
            all=True,
            filters={"label": f"{LABEL_INSTANCE}={instance}"},
        )
        return [
            ContainerState(
                id=c["Id"],
                task_id=c.get("Labels", {}).get(LABEL_TASK, ""),
                running=c.get("State") == "running",
                started=c.get("State") != "created",
                ahead=LABEL_AHEAD in (c.get("Labels") or {}),
            )
            for c in found
            if holders.LABEL_HOLDER not in (c.get("Labels") or {})
        ]

    def address(self, container_id: str) -> str | None:
        """Where the app reaches a remote run for a preview; None: a local container,
        whose address ``runner.reach`` finds."""
        return None

    def ship_check(self, run: str, token: str) -> bool:
        """ShipDenied unless ``token`` is the run's own: asked before a request's body is
        read, so that nobody else can make the app spool what they send. True: the
        run was made ahead, and its fetch waits for its start (``ship_wait``)."""
        raise ShipDenied("no such run")

    def ship_wait(self, run: str) -> None:
        """Block until a run may fetch its files: one made ahead on the cluster waits
        for its start (``runner.remote``); any other at once."""

    def ship_in(self, run: str, token: str, out: IO[bytes]) -> None:
        """Write a run's files, as a tar, for its container to fetch: a remote backend's
        (``runner.swarm``); a local run has its files mounted and fetches none."""
        raise ShipDenied("no such run")

    def ship_out(self, run: str, token: str, stream: IO[bytes]) -> None:
        """Take in the tar a run's container sent back: a remote backend's, as ``ship_in``."""
        raise ShipDenied("no such run")
