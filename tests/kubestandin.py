"""A stand-in for the Kubernetes API server, over HTTP, for what the kubernetes backend
asks of it (Jobs, their pods and logs), since this machine can run no cluster.

What the pods do is a kubelet's: ``Scripted`` lets a unit test say it, ``InDocker``
runs each Job's pod as a Docker container with the pod's user, read-only root,
dropped capabilities, no-new-privileges (as ``allowPrivilegeEscalation: false``
gives), a tmpfs for each emptyDir and a termination message file. It checks the
app's side of the backend, never Kubernetes' own behaviour.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import docker
import docker.errors
from docker.types import Mount

NAMESPACE = "tasks"
JOBS = re.compile(rf"/apis/batch/v1/namespaces/{NAMESPACE}/jobs(?:/([^/]+))?$")
PODS = re.compile(rf"/api/v1/namespaces/{NAMESPACE}/pods(?:/([^/]+)-pod/log)?$")
SECRETS = re.compile(rf"/api/v1/namespaces/{NAMESPACE}/secrets(?:/([^/]+))?$")


class Kubelet(Protocol):
    def run(self, job: dict[str, Any], env: dict[str, str]) -> None: ...
    def state(self, job: str) -> dict[str, Any] | None: ...  # the container's, as k8s says it
    def log(self, job: str, follow: bool) -> Iterator[bytes]: ...
    def remove(self, job: str) -> None: ...


def pod(job: str, state: dict[str, Any]) -> dict[str, Any]:
    status = {"name": "run", "image": "a", "imageID": "", "ready": True, "restartCount": 0}
    return {
        "metadata": {"name": f"{job}-pod", "labels": {"job-name": job}},
        "status": {
            "phase": "Running",
            "podIP": "127.0.0.1",
            "containerStatuses": [{**status, "state": state}],
        },
    }


class Scripted:
    """Pods whose state and log a test sets."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.chunks: list[bytes] = []  # the log, in the chunks a follow gets

    def run(self, job: dict[str, Any], env: dict[str, str]) -> None:
        pass

    def state(self, job: str) -> dict[str, Any] | None:
        return self.states.get(job)

    def log(self, job: str, follow: bool) -> Iterator[bytes]:
        for chunk in self.chunks:
            yield chunk
            if follow:
                time.sleep(0.05)

    def remove(self, job: str) -> None:
        self.states.pop(job, None)


class InDocker:
    """Each Job's pod a container on the engine, on the host's network (so the app's
    loopback advertise URL is reachable), labelled to be found and removed."""

    def __init__(self, client: docker.DockerClient, folder: Path) -> None:
        self.client = client
        self.folder = folder  # the termination message files

    def _name(self, job: str) -> str:
        return f"wallfacer-standin-{job}"

    def run(self, job: dict[str, Any], env: dict[str, str]) -> None:
        name = job["metadata"]["name"]
        spec = job["spec"]["template"]["spec"]
        [container] = spec["containers"]
        guard = container["securityContext"]
        assert guard["allowPrivilegeEscalation"] is False and guard["capabilities"]["drop"] == [
            "ALL"
        ]
        message = self.folder / f"{name}.termination"
        message.write_text("")
        message.chmod(0o666)
        limits = container.get("resources", {}).get("limits", {})
        self.client.containers.run(
            container["image"],
            entrypoint=container["command"],
            command=container["args"],
            environment=env,
            user=f"{guard['runAsUser']}:{guard['runAsGroup']}",
            working_dir=container["workingDir"],
            read_only=guard["readOnlyRootFilesystem"],
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            # An emptyDir is writable by the pod's user; Docker 20.10's tmpfs ignores a mode.
            tmpfs={
                mount["mountPath"]: f"uid={guard['runAsUser']},gid={guard['runAsGroup']},exec"
                for mount in container["volumeMounts"]
            },
            mounts=[Mount("/dev/termination-log", str(message), type="bind")],
            mem_limit=int(limits["memory"]) if "memory" in limits else None,
            network_mode="host",
            name=self._name(name),
            labels={"wallfacer.standin": name},
            detach=True,
        )

    def state(self, job: str) -> dict[str, Any] | None:
        try:
            info = self.client.api.inspect_container(self._name(job))["State"]
        except docker.errors.NotFound:
            return None
        if info["Status"] in ("created", "restarting"):
            return {"waiting": {"reason": "ContainerCreating"}}
        if info["Running"]:
            return {"running": {"startedAt": info["StartedAt"]}}
        code = int(info["ExitCode"])
        reason = "OOMKilled" if info["OOMKilled"] else "Completed" if code == 0 else "Error"
        message = (self.folder / f"{job}.termination").read_text()
        return {"terminated": {"exitCode": code, "reason": reason, "message": message}}

    def log(self, job: str, follow: bool) -> Iterator[bytes]:
        """stdout and stderr together, as a pod's log has them."""
        yield from self.client.api.logs(self._name(job), stream=True, follow=follow)

    def remove(self, job: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.client.api.remove_container(self._name(job), force=True)


class StandIn:
    """The API server: Jobs as they were sent, pods as the kubelet has them."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.kubelet = kubelet
        self.jobs: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []  # every Job created, deleted since or not
        self.deleted: list[dict[str, list[str]]] = []  # each delete's query
        self.refusal = ""  # a Job's creation refused with this message
        handler = type("Bound", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig naming this server, as kind writes one."""
        url = f"http://127.0.0.1:{self.server.server_port}"
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": url}}],
                    "users": [{"name": "u", "user": {"token": "cluster-token"}}],
                    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "x",
                }
            )
        )
        return path

    def stop(self) -> None:
        for job in list(self.jobs):
            self.kubelet.remove(job)
        self.server.shutdown()
        self.server.server_close()


def _selected(items: list[dict[str, Any]], selector: str) -> list[dict[str, Any]]:
    key, _, value = selector.partition("=")
    return [item for item in items if item["metadata"].get("labels", {}).get(key) == value]


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code: int, message: str = "") -> None:
        self._send(code, {"kind": "Status", "apiVersion": "v1", "code": code, "message": message})

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_POST(self) -> None:
        body = self._body()
        if SECRETS.match(urlsplit(self.path).path):
            self.standin.secrets[body["metadata"]["name"]] = body
            return self._send(201, body)
        assert JOBS.match(urlsplit(self.path).path), self.path
        if self.standin.refusal:
            return self._status(403, self.standin.refusal)
        name = body["metadata"]["name"]
        made = {**body, "metadata": {**body["metadata"], "uid": f"uid-{name}"}}
        self.standin.jobs[name] = {**made, "status": {}}
        self.standin.sent.append(body)
        [source] = body["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        secret = self.standin.secrets[source["secretRef"]["name"]]  # the pod's env, as sent
        self.standin.kubelet.run(body, secret["stringData"])
        return self._send(201, made)

    def do_PATCH(self) -> None:
        match = SECRETS.match(urlsplit(self.path).path)
        assert match and match[1] in self.standin.secrets, self.path
        self.standin.secrets[match[1]]["metadata"].update(self._body()["metadata"])
        return self._send(200, self.standin.secrets[match[1]])

    def do_DELETE(self) -> None:
        url = urlsplit(self.path)
        if found := SECRETS.match(url.path):
            gone = self.standin.secrets.pop(found[1], None)
            return self._status(200 if gone is not None else 404)
        match = JOBS.match(url.path)
        assert match and match[1], self.path
        self.standin.deleted.append(parse_qs(url.query))
        if self.standin.jobs.pop(match[1], None) is None:
            return self._status(404)
        self.standin.kubelet.remove(match[1])
        return self._status(200)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        jobs = self.standin.jobs
        if match := JOBS.match(url.path):
            if match[1]:
                return self._send(200, jobs[match[1]]) if match[1] in jobs else self._status(404)
            found = _selected(list(jobs.values()), query["labelSelector"])
            return self._send(200, {"kind": "JobList", "metadata": {}, "items": found})
        match = PODS.match(url.path)
        assert match, self.path
        if not match[1]:
            job = query["labelSelector"].removeprefix("job-name=")
            state = self.standin.kubelet.state(job) if job in jobs else None
            items = [pod(job, state)] if state is not None else []
            return self._send(200, {"kind": "PodList", "metadata": {}, "items": items})
        assert query["container"] == "run"
        return self._log(match[1], query.get("follow") == "true")

    def _log(self, job: str, follow: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if not follow:
            data = b"".join(self.standin.kubelet.log(job, False))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in self.standin.kubelet.log(job, True):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
