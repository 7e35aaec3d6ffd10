"""The kubernetes backend: each run a Job on a cluster, through the official client.

An ``Engine`` whose run calls (create, start, stream, wait, exists, remove,
list) speak of Jobs, named by the id ``create`` returns; images and their
users are still inspected in the app's own engine, inherited, which must hold
what the nodes run. So nothing above the runner knows which backend is in use.

The client is imported on first use, so the app runs without it. The
objects are made by ``kubemanifests``; the run's files are shipped as on a
Swarm (``remote``, ``shipping``), its plan and token hash kept in the data dir,
so a run re-adopted after a restart can still send its result; its env (the
agent's credentials, the run token) is a Secret owned by its Job.
A pod's log mixes stderr into stdout, so the wrapper keeps its stderr aside
and leaves the tail as the pod's termination message, read by ``wait``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3

from runner import kubemanifests, remote, shipping
from runner.containers import LABEL_INSTANCE, ContainerState, Exit
from runner.errors import RunnerError, RuntimeUnavailable
from runner.lines import split_lines
from runner.reach import Unreachable
from runner.runspec import RunSpec

POLL_S = 0.5  # how often a run's pod is read while it runs
TERMINATION = "/dev/termination-log"  # the pod's termination message, its stderr's tail
# A container that waits for one of these will never run: the run has ended.
STUCK = frozenset(
    {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError"}
)


@dataclass
class Apis:
    """The client's parts this backend uses; a test gives fakes of them."""

    core: Any  # CoreV1Api
    batch: Any  # BatchV1Api
    apps: Any  # AppsV1Api
    net: Any  # NetworkingV1Api
    error: type[Exception]  # ApiException: the cluster answered (its status says what)


def connect() -> Apis:
    """The cluster from inside it (a service account) or from the standard kubeconfig
    places (``KUBECONFIG``, ``~/.kube/config``)."""
    try:
        import kubernetes
    except ImportError as exc:
        raise RunnerError(
            "the kubernetes backend needs its client: pip install 'wallfacer[kubernetes]'"
        ) from exc
    try:
        kubernetes.config.load_incluster_config()
    except kubernetes.config.ConfigException:
        try:
            # KUBECONFIG as it is now: the client reads it once, on its import.
            kubernetes.config.load_kube_config(os.environ.get("KUBECONFIG") or None)
        except (kubernetes.config.ConfigException, OSError) as exc:
            raise RuntimeUnavailable(f"no kubeconfig for the kubernetes backend: {exc}") from exc
    client = kubernetes.client
    shared = client.ApiClient()  # one connection pool for every part
    return Apis(
        client.CoreV1Api(shared),
        client.BatchV1Api(shared),
        client.AppsV1Api(shared),
        client.NetworkingV1Api(shared),
        client.exceptions.ApiException,
    )


@dataclass(frozen=True)
class State:
    """A run as the cluster has it: ``ended`` once it never will run (on) again."""

    ended: bool
    pod: str = ""
    started: bool = False  # its container runs or ran: it has a log
    code: int | None = None
    reason: str = ""  # OOMKilled, Error, a waiting reason, the Job's failure
    message: str = ""  # the termination message: the wrapper's stderr tail
    ip: str = ""


class KubeEngine(remote.RemoteEngine):
    def __init__(
        self, advertise_url: str, namespace: str, marks: Path, constraints: tuple[str, ...] = ()
    ):
        super().__init__(advertise_url, marks)
        self.namespace = kubemanifests.namespace(namespace)  # refused now, if so
        self.node_selector = kubemanifests.node_selector(constraints)  # refused now, if so
        self._apis: Apis | None = None

    def apis(self) -> Apis:
        with self._guard:
            if self._apis is None:
                self._apis = connect()
            return self._apis

    def kube(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One API call; a lost connection becomes RuntimeUnavailable, while an
        answer (not found, conflict) passes through for the caller to read."""
        try:
            return fn(*args, **kwargs)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RuntimeUnavailable(f"lost the kubernetes API: {exc}") from exc

    def missing(self, exc: Exception) -> bool:
        return isinstance(exc, self.apis().error) and getattr(exc, "status", 0) == 404

    def cluster(self, instance: str) -> kubemanifests.Cluster:
        """The instance's settings, with the advertise URL's addresses: where the
        allowlist mode's NetworkPolicy lets the runs reach the app."""
        url = urlsplit(self.advertise_url)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            found = socket.getaddrinfo(url.hostname or "", port, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise RunnerError(f"cannot resolve the advertise URL's host: {exc}") from exc
        addresses = tuple(sorted({str(info[4][0]) for info in found}))
        return kubemanifests.Cluster(
            self.namespace, instance, addresses, port, dict(self.node_selector)
        )

    def create(self, spec: RunSpec, ahead: bool = False) -> str:
        if spec.network == "none":
            raise RunnerError(
                "a kubernetes run fetches its workspace from the app, so it needs a network "
                "that reaches the advertise URL: set the egress mode to open or allowlist"
            )
        self._image(spec.image)  # a missing image is said now, as locally
        return self._plan(kubemanifests.run_name(spec.task_id, secrets.token_hex(4)), spec, ahead)

    def start(self, container_id: str) -> Iterator[str]:
        spec = self._take(container_id)
        token = remote.new_token()
        image = self._image(spec.image)
        url = f"{self.advertise_url}/api/ship/{container_id}"
        args, env = remote.launch(image, spec, url, token)
        env["WALLFACER_ERRORS"] = TERMINATION
        cluster = self.cluster(spec.instance)
        manifest = kubemanifests.job(
            spec, cluster, container_id, _reference(image, spec.image), args
        )
        self._ships.remember(container_id, token, shipping.Plan.of(spec))
        apis = self.apis()
        try:
            self.kube(
                apis.core.create_namespaced_secret,
                self.namespace,
                kubemanifests.secret(cluster, container_id, env),
            )
            made = self.kube(apis.batch.create_namespaced_job, self.namespace, manifest)
            self.kube(
                apis.core.patch_namespaced_secret,
                container_id,
                self.namespace,
                kubemanifests.owned_by(container_id, made.metadata.uid),
            )
        except apis.error as exc:  # the cluster's answer: a quota, a policy, a bad name
            self.remove(container_id)
            raise RunnerError(f"the cluster refused the run's Job: {_said(exc)}") from exc
        return self.stream(container_id)

    def state(self, run: str) -> State:
        """The run as the cluster has it: its Job's failure, else its one pod's container."""
        apis = self.apis()
        try:
            job = self.kube(apis.batch.read_namespaced_job, run, self.namespace)
        except Exception as exc:
            if self.missing(exc):
                return State(ended=True, reason="the run's Job is gone")
            raise
        pods = self.kube(
            apis.core.list_namespaced_pod, self.namespace, label_selector=f"job-name={run}"
        ).items
        failed = _failure(job)
        if not pods:
            return State(ended=bool(failed), reason=failed)
        pod = pods[0]
        name, ip = pod.metadata.name, pod.status.pod_ip or ""
        statuses = pod.status.container_statuses or []
        now = statuses[0].state if statuses else None
        if now is not None and now.terminated is not None:
            end = now.terminated
            return State(True, name, True, end.exit_code, end.reason or "", end.message or "", ip)
        if now is not None and now.running is not None:
            return State(False, name, True, ip=ip)
        waiting = now.waiting if now is not None else None
        reason = (waiting.reason or "") if waiting is not None else ""
        message = (waiting.message or "") if waiting is not None else ""
        ended = bool(failed) or reason in STUCK or pod.status.phase in ("Failed", "Succeeded")
        return State(ended, name, False, None, reason or failed, message, ip)

    def stream(self, container_id: str, skip: int = 0) -> Iterator[str]:
        """The run's output lines, each once, followed through its pod's log; once the
        follow ends (the container's end, or a lost connection), the log is read again
        to its end past the lines already yielded."""
        found = self.until(container_id, lambda state: state.started or state.ended)
        if not found.started:
            return
        apis = self.apis()

        def log(follow: bool) -> Any:
            return self.kube(
                apis.core.read_namespaced_pod_log,
                found.pod,
                self.namespace,
                container=kubemanifests.CONTAINER,
                follow=follow,
                _preload_content=False,
            )

        read = 0
        try:
            response = log(True)
            try:
                for line in split_lines(response.stream(64 * 1024), partial=False):
                    read += 1
                    if read > skip:
                        yield line
            finally:
                response.release_conn()
        except Exception:  # cut short: what it missed is read below, once the run has ended
            pass
        self.wait(container_id)
        try:
            rest = log(False)
        except Exception as exc:
            if self.missing(exc):  # removed (a cancel): there is no more to read
                return
            raise
        try:
            for number, line in enumerate(split_lines(rest.stream(64 * 1024)), 1):
                if number > max(read, skip):
                    yield line
        finally:
            rest.release_conn()

    def until(self, run: str, done: Callable[[State], bool]) -> State:
        """The run's state once ``done`` says so of it, read every ``POLL_S``."""
        while not done(found := self.state(run)):
            time.sleep(POLL_S)
        return found

    def wait(self, container_id: str) -> Exit:
        """The run's end: its exit code, a kill for memory as such, and why."""
        found = self.until(container_id, lambda state: state.ended)
        why = [self._ships.refusal(container_id)]
        if found.code is None or (found.code != 0 and found.reason not in ("Error", "OOMKilled")):
            why.append(found.reason)
        why.append(found.message.strip())
        return Exit(
            code=found.code if found.code is not None else -1,
            oom_killed=found.reason == "OOMKilled",
            stderr_tail="\n".join(part for part in why if part),
        )

    def exists(self, container_id: str) -> bool:
        if self.created(container_id):
            return True
        try:
            self.kube(self.apis().batch.read_namespaced_job, container_id, self.namespace)
        except Exception as exc:
            if self.missing(exc):
                return False
            raise
        return True

    def remove(self, container_id: str) -> None:
        """Cancel: the Job goes, and its pod with it (in the background)."""
        if not self._unplan(container_id):
            apis = self.apis()
            for delete, kwargs in (
                (apis.batch.delete_namespaced_job, {"propagation_policy": "Background"}),
                (apis.core.delete_namespaced_secret, {}),  # its owner's collection does too
            ):
                try:
                    self.kube(delete, container_id, self.namespace, **kwargs)
                except Exception as exc:
                    if not self.missing(exc):
                        raise
        self._ships.forget(container_id)  # once the run can send nothing more

    def address(self, container_id: str) -> str:
        raise Unreachable("previews are not available on the kubernetes backend yet")

    def remove_orphan_holders(self, instance: str) -> None:
        """No holders: a pod's network is its own."""

    def list(self, instance: str) -> list[ContainerState]:
        """The instance's Jobs, by their label: what a restarted app re-adopts."""
        jobs = self.kube(
            self.apis().batch.list_namespaced_job,
            self.namespace,
            label_selector=f"{LABEL_INSTANCE}={instance}",
        ).items
        runs = [
            ContainerState(
                job.metadata.name,
                (job.metadata.annotations or {}).get(kubemanifests.ANNOTATION_TASK, ""),
                not _finished(job),
                True,
                False,
            )
            for job in jobs
        ]
        return [*runs, *self._planned(instance)]

    def close(self) -> None:
        """Let go of the connection pools; a later call connects again."""
        with self._guard:
            apis, self._apis = self._apis, None
        if apis is not None:
            with contextlib.suppress(Exception):  # a fake's, or one closed already
                apis.core.api_client.close()
        super().close()


def _conditions(job: Any) -> list[Any]:
    return [c for c in (job.status.conditions or []) if c.status == "True"]


def _finished(job: Any) -> bool:
    return any(c.type in ("Complete", "Failed") for c in _conditions(job))


def _failure(job: Any) -> str:
    """Why the Job failed without its pod saying so (a deadline, a deleted pod), or ""."""
    for condition in _conditions(job):
        if condition.type == "Failed":
            return (
                f"the run's Job failed: {condition.reason or ''} {condition.message or ''}".strip()
            )
    return ""


def _said(exc: Exception) -> str:
    """What the cluster said of a refusal: its Status's message, else the HTTP reason."""
    try:
        return str(json.loads(getattr(exc, "body", "") or "")["message"])
    except (ValueError, KeyError, TypeError):
        return str(getattr(exc, "reason", "") or exc)


def _reference(image: dict[str, Any], name: str) -> str:
    """The image by digest where a registry gave it one under the same name, so a node
    runs what the app checked; else by name, as ``kind load`` or a node's cache has it."""
    repository = name.rsplit("@", 1)[0]
    tail = repository.rsplit("/", 1)[-1]
    if ":" in tail:
        repository = repository[: -len(tail)] + tail.split(":", 1)[0]
    for digest in image.get("RepoDigests") or []:
        if str(digest).split("@", 1)[0] == repository:
            return str(digest)
    return name
