"""KubeEngine through the real client, over HTTP, against a small fake of the API
server's paths it uses: the kubeconfig read, a Job's body as the client sends it,
its pod's log streamed in chunks, the label selectors, the delete's propagation
policy and a 404 as an ApiException. (This machine can run no real cluster.)"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from runner import kubemanifests
from runner.containers import Exit
from runner.errors import RunnerError
from runner.kube import KubeEngine
from runner.runspec import RunSpec

INSTANCE = "0123456789ab"
TASK = "abcd1234-0000-4000-8000-000000000000"
JOBS = re.compile(r"/apis/batch/v1/namespaces/tasks/jobs(?:/([^/]+))?$")
PODS = re.compile(r"/api/v1/namespaces/tasks/pods(?:/([^/]+)/log)?$")


class Api:
    """What the fake API server holds: Jobs as sent, pods as the test sets them."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}  # job name -> pod
        self.log: list[bytes] = []  # the pod's log, in the chunks it is followed in
        self.deleted: list[dict[str, list[str]]] = []  # each delete's query
        self.refusal = ""  # a Job's creation refused with this message


def _pod(job: str, state: dict[str, Any]) -> dict[str, Any]:
    status = {"name": "run", "image": "a", "imageID": "", "ready": True, "restartCount": 0}
    return {
        "metadata": {"name": f"{job}-abcde", "labels": {"job-name": job}},
        "status": {"phase": "Running", "containerStatuses": [{**status, "state": state}]},
    }


def _selected(items: list[dict[str, Any]], selector: str) -> list[dict[str, Any]]:
    key, _, value = selector.partition("=")
    return [item for item in items if item["metadata"].get("labels", {}).get(key) == value]


class Handler(BaseHTTPRequestHandler):
    api: Api

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _missing(self) -> None:
        self._send(404, {"kind": "Status", "apiVersion": "v1", "code": 404, "reason": "NotFound"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert JOBS.match(urlsplit(self.path).path)
        if self.api.refusal:
            status = {"kind": "Status", "apiVersion": "v1", "code": 403}
            return self._send(403, {**status, "message": self.api.refusal})
        self.api.jobs[body["metadata"]["name"]] = {**body, "status": {}}
        return self._send(201, body)

    def do_DELETE(self) -> None:
        url = urlsplit(self.path)
        match = JOBS.match(url.path)
        assert match and match[1]
        self.api.deleted.append(parse_qs(url.query))
        if self.api.jobs.pop(match[1], None) is None:
            return self._missing()
        self.api.pods.pop(match[1], None)
        self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if match := JOBS.match(url.path):
            if match[1]:
                job = self.api.jobs.get(match[1])
                return self._send(200, job) if job else self._missing()
            found = _selected(list(self.api.jobs.values()), query["labelSelector"])
            return self._send(200, {"kind": "JobList", "metadata": {}, "items": found})
        match = PODS.match(url.path)
        assert match, url.path
        if not match[1]:
            found = _selected(list(self.api.pods.values()), query["labelSelector"])
            return self._send(200, {"kind": "PodList", "metadata": {}, "items": found})
        assert query["container"] == "run"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if query.get("follow") != "true":
            data = b"".join(self.api.log)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in self.api.log:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(b"0\r\n\r\n")
        return None


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The fake API server, named by a kubeconfig in KUBECONFIG (as kind writes one)."""
    held = Api()
    handler = type("Bound", (Handler,), {"api": held})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}
        ],
        "users": [{"name": "u", "user": {"token": "cluster-token"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    (tmp_path / "kubeconfig").write_text(json.dumps(kubeconfig))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)  # not in a pod
    yield held
    server.shutdown()
    server.server_close()


def _engine() -> KubeEngine:
    engine = KubeEngine("http://127.0.0.1:8080", "tasks")
    engine._image = lambda image: {"Id": "sha256:1", "Config": {"Entrypoint": ["/bin/agent"]}}  # type: ignore[method-assign]
    return engine


def _spec(tmp_path: Path) -> RunSpec:
    return RunSpec(
        TASK, INSTANCE, "agent:1", ["-p"], tmp_path, "project", tmp_path, tmp_path, "1000:1000"
    )


def test_a_run_through_the_real_client(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[dict[str, Any]] = []
    job = kubemanifests.job

    def recorded(*args: Any) -> dict[str, Any]:
        made.append(job(*args))
        return made[-1]

    monkeypatch.setattr(kubemanifests, "job", recorded)
    engine = _engine()
    run = engine.create(_spec(tmp_path))
    api.log = [b"one\nt", b"wo\n", b"three\n"]
    lines = engine.start(run)
    sent = api.jobs[run]
    assert {**sent, "status": None} == {**made[0], "status": None}, "sent as made, every field"
    pod = sent["spec"]["template"]["spec"]
    assert sent["spec"]["backoffLimit"] == 0 and pod["automountServiceAccountToken"] is False
    assert pod["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert all("emptyDir" in volume for volume in pod["volumes"])
    assert sent["metadata"]["annotations"]["wallfacer.task"] == TASK
    api.pods[run] = _pod(run, {"running": {}})
    follow = iter(lines)
    assert next(follow) == "one"
    ended = {"exitCode": 137, "reason": "OOMKilled", "message": "killed\n"}
    api.pods[run] = _pod(run, {"terminated": ended})
    assert list(follow) == ["two", "three"]
    assert engine.wait(run) == Exit(137, True, "killed")

    [listed] = _engine().list(INSTANCE)  # another app's engine: after a restart
    assert (listed.id, listed.task_id, listed.running) == (run, TASK, True)
    assert _engine().list("another") == []
    engine.remove(run)
    assert api.deleted == [{"propagationPolicy": ["Background"]}]
    assert not engine.exists(run)
    engine.remove(run)  # a 404 from the client: already gone
    engine.close()


def test_a_job_the_cluster_refuses_fails_the_run_with_its_message(api: Api, tmp_path: Path) -> None:
    api.refusal = 'jobs "wf-x" is forbidden: exceeded quota: compute'
    engine = _engine()
    run = engine.create(_spec(tmp_path))
    with pytest.raises(RunnerError, match=r"refused the run's Job: jobs .* exceeded quota"):
        engine.start(run)
