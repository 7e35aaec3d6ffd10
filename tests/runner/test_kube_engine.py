"""KubeEngine against a fake of the client's API surface (with the client's own
models and ApiException): how a run's pod and Job map to its exit, its output,
its cancel and its re-adoption. The real cluster is tests/e2e/test_kube.py's."""

from __future__ import annotations

import builtins
import io
from pathlib import Path
from typing import Any

import kubernetes.client as k8s
import pytest

from runner import kube, shipping
from runner.containers import Exit
from runner.errors import RunnerError, ShipDenied
from runner.kube import Apis, KubeEngine
from runner.runspec import RunSpec

TASK = "abcd1234-0000-4000-8000-000000000000"
INSTANCE = "0123456789ab"


class Response:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, amount: int) -> Any:
        yield from (self.data[i : i + 5] for i in range(0, len(self.data), 5))

    def release_conn(self) -> None:
        pass


class Cluster:
    """Jobs and their pods, held as the client's models; each call is recorded."""

    def __init__(self) -> None:
        self.jobs: dict[str, Any] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, Any] = {}  # job name -> its pod
        self.logs: dict[str, list[bytes]] = {}  # pod name -> what each read returns
        self.calls: list[tuple[str, Any]] = []

    def _missing(self) -> Exception:
        error: Exception = k8s.exceptions.ApiException(status=404, reason="Not Found")
        return error

    def create_namespaced_job(self, namespace: str, body: dict[str, Any]) -> Any:
        self.calls.append(("create", body))
        meta = body["metadata"]
        return self.add(meta["name"], meta["labels"], meta["annotations"])

    def create_namespaced_secret(self, namespace: str, body: dict[str, Any]) -> None:
        self.secrets[body["metadata"]["name"]] = body

    def patch_namespaced_secret(self, name: str, namespace: str, body: dict[str, Any]) -> None:
        self.secrets[name]["metadata"].update(body["metadata"])

    def delete_namespaced_secret(self, name: str, namespace: str) -> None:
        if self.secrets.pop(name, None) is None:
            raise self._missing()

    def add(self, name: str, labels: dict[str, str], notes: dict[str, str]) -> Any:
        meta = k8s.V1ObjectMeta(name=name, labels=labels, annotations=notes, uid=f"uid-{name}")
        self.jobs[name] = k8s.V1Job(metadata=meta, status=k8s.V1JobStatus())
        return self.jobs[name]

    def read_namespaced_job(self, name: str, namespace: str) -> Any:
        if name not in self.jobs:
            raise self._missing()
        return self.jobs[name]

    def list_namespaced_job(self, namespace: str, label_selector: str) -> Any:
        key, _, value = label_selector.partition("=")
        found = [j for j in self.jobs.values() if (j.metadata.labels or {}).get(key) == value]
        return k8s.V1JobList(items=found)

    def delete_namespaced_job(self, name: str, namespace: str, propagation_policy: str) -> None:
        self.calls.append(("delete", (name, propagation_policy)))
        if self.jobs.pop(name, None) is None:
            raise self._missing()
        self.pods.pop(name, None)

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> Any:
        job = label_selector.removeprefix("job-name=")
        return k8s.V1PodList(items=[self.pods[job]] if job in self.pods else [])

    def read_namespaced_pod_log(self, name: str, namespace: str, **options: Any) -> Response:
        assert options["_preload_content"] is False and options["container"] == "run"
        self.calls.append(("log", options["follow"]))
        return Response(self.logs[name].pop(0))

    def pod(self, job: str, state: Any, phase: str = "Running", ip: str = "10.1.0.7") -> None:
        status = k8s.V1ContainerStatus(
            name="run", image="agent:1", image_id="", ready=False, restart_count=0, state=state
        )
        self.pods[job] = k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name=f"{job}-abcde"),
            status=k8s.V1PodStatus(phase=phase, pod_ip=ip, container_statuses=[status]),
        )


def _ended(code: int, reason: str, message: str = "") -> Any:
    return k8s.V1ContainerState(
        terminated=k8s.V1ContainerStateTerminated(exit_code=code, reason=reason, message=message)
    )


@pytest.fixture
def cluster() -> Cluster:
    return Cluster()


def _engine(cluster: Cluster, tmp_path: Path) -> KubeEngine:
    engine = KubeEngine("http://127.0.0.1:8080", "tasks", tmp_path / "marks")
    engine._apis = Apis(cluster, cluster, None, None, k8s.exceptions.ApiException)
    engine._image = lambda image: {"Id": "sha256:1", "Config": {"Entrypoint": ["/bin/agent"]}}  # type: ignore[method-assign]
    return engine


def _spec(tmp_path: Path, **changes: Any) -> RunSpec:
    fields: dict[str, Any] = {
        "task_id": TASK,
        "instance": INSTANCE,
        "image": "agent:1",
        "args": [],
        "workspace": tmp_path / "ws",
        "repo_name": "project",
        "objects": tmp_path / "objects",
        "home": tmp_path / "home",
        "user": "1000:1000",
        "network": None,
    }
    return RunSpec(**(fields | changes))


def test_a_started_run_is_a_job_whose_pod_log_is_followed_each_line_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    engine = _engine(cluster, tmp_path)
    run = engine.create(_spec(tmp_path))
    assert engine.created(run) and engine.exists(run) and not cluster.jobs
    cluster.logs[f"{run}-abcde"] = [b"one\ntwo\npart", b"one\ntwo\npartial\nthree\n"]
    lines = engine.start(run)
    cluster.pod(run, _ended(0, "Completed"))
    assert list(lines) == ["one", "two", "partial", "three"]
    assert [call[0] for call in cluster.calls] == ["create", "log", "log"]
    assert [call[1] for call in cluster.calls[1:]] == [True, False]
    assert engine.wait(run) == Exit(code=0, oom_killed=False, stderr_tail="")
    secret = cluster.secrets[run]  # the run's env, collected with its Job
    assert secret["stringData"]["WALLFACER_ERRORS"] == kube.TERMINATION
    [owner] = secret["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("Job", run, f"uid-{run}")
    engine.remove(run)
    assert run not in cluster.secrets and run not in cluster.jobs


def test_an_exit_maps_its_code_a_kill_for_memory_and_the_stderr_tail(
    cluster: Cluster, tmp_path: Path
) -> None:
    engine = _engine(cluster, tmp_path)
    cluster.add("wf-a", {}, {})
    cluster.pod("wf-a", _ended(137, "OOMKilled"))
    assert engine.wait("wf-a") == Exit(137, True, "")
    cluster.pod("wf-a", _ended(3, "Error", "the agent said why\n"))
    assert engine.wait("wf-a") == Exit(3, False, "the agent said why")


def test_a_run_whose_image_never_comes_ends_saying_so(cluster: Cluster, tmp_path: Path) -> None:
    engine = _engine(cluster, tmp_path)
    cluster.add("wf-b", {}, {})
    waiting = k8s.V1ContainerStateWaiting(reason="ErrImagePull", message="no such image")
    cluster.pod("wf-b", k8s.V1ContainerState(waiting=waiting), phase="Pending")
    assert list(engine.stream("wf-b")) == []
    assert engine.wait("wf-b") == Exit(-1, False, "ErrImagePull\nno such image")


def test_a_failed_job_without_a_pod_and_a_job_gone_end_the_run(
    cluster: Cluster, tmp_path: Path
) -> None:
    engine = _engine(cluster, tmp_path)
    job = cluster.add("wf-c", {}, {})
    job.status.conditions = [
        k8s.V1JobCondition(type="Failed", status="True", reason="DeadlineExceeded")
    ]
    assert engine.wait("wf-c").stderr_tail == "the run's Job failed: DeadlineExceeded"
    assert engine.wait("wf-gone") == Exit(-1, False, "the run's Job is gone")
    assert not engine.exists("wf-gone")


def test_a_restarted_app_re_adopts_its_jobs_by_label(cluster: Cluster, tmp_path: Path) -> None:
    label = {"wallfacer.instance": INSTANCE}
    cluster.add("wf-run", label, {"wallfacer.task": TASK})
    done = cluster.add("wf-done", label, {"wallfacer.task": "other"})
    done.status.conditions = [k8s.V1JobCondition(type="Complete", status="True")]
    cluster.add("wf-else", {"wallfacer.instance": "another"}, {"wallfacer.task": "x"})
    engine = _engine(cluster, tmp_path)  # a fresh one, as after a restart
    ahead = engine.create(_spec(tmp_path), ahead=True)
    found = {state.id: state for state in engine.list(INSTANCE)}
    assert found.keys() == {"wf-run", "wf-done", ahead}
    assert (found["wf-run"].task_id, found["wf-run"].running) == (TASK, True)
    assert (found["wf-done"].task_id, found["wf-done"].running) == ("other", False)
    assert found[ahead].ahead and not found[ahead].started


def test_a_cancel_deletes_the_job_in_the_background(cluster: Cluster, tmp_path: Path) -> None:
    engine = _engine(cluster, tmp_path)
    pending = engine.create(_spec(tmp_path))
    engine.remove(pending)
    assert not engine.exists(pending) and cluster.calls == []
    cluster.add("wf-d", {}, {})
    engine.remove("wf-d")
    engine.remove("wf-d")  # already gone: fine
    assert cluster.calls[0] == ("delete", ("wf-d", "Background"))
    assert not engine.exists("wf-d")


def test_the_run_urls_take_only_the_runs_token_once(cluster: Cluster, tmp_path: Path) -> None:
    engine = _engine(cluster, tmp_path)
    (tmp_path / "ws").mkdir()
    (tmp_path / "home").mkdir()
    spec = _spec(tmp_path)
    plan = shipping.Plan.of(spec)
    engine._ships.remember("wf-e", "t", plan)
    cluster.add("wf-e", {}, {})
    with pytest.raises(ShipDenied, match="not this run's token"):
        engine.ship_in("wf-e", "other", io.BytesIO())
    with pytest.raises(ShipDenied, match="no such run"):
        engine.ship_in("wf-none", "t", io.BytesIO())
    assert engine._ships.plan("wf-e", "t", "in") == plan
    with pytest.raises(ShipDenied, match="already sent in"):
        engine.ship_in("wf-e", "t", io.BytesIO())


def test_a_run_without_a_network_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="needs a network"):
        _engine(cluster, tmp_path).create(_spec(tmp_path, network="none"))


def test_without_the_client_the_backend_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = builtins.__import__

    def without(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "kubernetes":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)
    with pytest.raises(RunnerError, match=r"pip install 'wallfacer\[kubernetes\]'"):
        KubeEngine("http://127.0.0.1:8080", "tasks", tmp_path).apis()


def test_an_image_goes_by_its_registry_digest_when_the_engine_knows_one() -> None:
    pushed = {"RepoDigests": ["other/agent@sha256:0", "reg.example:5000/agent@sha256:1"]}
    assert kube._reference(pushed, "reg.example:5000/agent:v1") == "reg.example:5000/agent@sha256:1"
    assert kube._reference({"RepoDigests": []}, "agent:v1") == "agent:v1"  # kind load: the tag
