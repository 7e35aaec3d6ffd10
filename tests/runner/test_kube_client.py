"""KubeEngine through the real client, over HTTP, against a stand-in API server
(``tests.kubestandin``) whose pods a test scripts: the kubeconfig read, a Job's body
as the client sends it, its pod's log streamed in chunks, the label selectors, the
delete's propagation policy and a 404 as an ApiException."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner import kubemanifests
from runner.containers import Exit
from runner.errors import RunnerError
from runner.kube import KubeEngine
from runner.runspec import RunSpec
from tests.kubestandin import NAMESPACE, Scripted, StandIn

INSTANCE = "0123456789ab"
TASK = "abcd1234-0000-4000-8000-000000000000"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """The stand-in API server with scripted pods, named by KUBECONFIG, as kind does."""
    standin = StandIn(Scripted())
    monkeypatch.setenv("KUBECONFIG", str(standin.kubeconfig(tmp_path / "kubeconfig")))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)  # not in a pod
    yield standin
    standin.stop()


def _pods(api: StandIn) -> Scripted:
    assert isinstance(api.kubelet, Scripted)
    return api.kubelet


def _engine(tmp_path: Path) -> KubeEngine:
    engine = KubeEngine("http://127.0.0.1:8080", NAMESPACE, tmp_path / "marks")
    engine._image = lambda image: {"Id": "sha256:1", "Config": {"Entrypoint": ["/bin/agent"]}}  # type: ignore[method-assign]
    return engine


def _spec(tmp_path: Path) -> RunSpec:
    return RunSpec(
        TASK, INSTANCE, "agent:1", ["-p"], tmp_path, "project", tmp_path, tmp_path, "1000:1000"
    )


def test_a_run_through_the_real_client(
    api: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[dict[str, Any]] = []
    job = kubemanifests.job

    def recorded(*args: Any) -> dict[str, Any]:
        made.append(job(*args))
        return made[-1]

    monkeypatch.setattr(kubemanifests, "job", recorded)
    engine = _engine(tmp_path)
    run = engine.create(_spec(tmp_path))
    pods = _pods(api)
    pods.chunks = [b"one\nt", b"wo\n", b"three\n"]
    lines = engine.start(run)
    sent = api.sent[-1]
    assert {**sent, "status": None} == {**made[0], "status": None}, "sent as made, every field"
    pod = sent["spec"]["template"]["spec"]
    assert sent["spec"]["backoffLimit"] == 0 and pod["automountServiceAccountToken"] is False
    assert pod["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert all("emptyDir" in volume for volume in pod["volumes"])
    assert sent["metadata"]["annotations"]["wallfacer.task"] == TASK
    pods.states[run] = {"running": {}}
    follow = iter(lines)
    assert next(follow) == "one"
    ended = {"exitCode": 137, "reason": "OOMKilled", "message": "killed\n"}
    pods.states[run] = {"terminated": ended}
    assert list(follow) == ["two", "three"]
    assert engine.wait(run) == Exit(137, True, "killed")

    [listed] = _engine(tmp_path).list(INSTANCE)  # another app's engine: after a restart
    assert (listed.id, listed.task_id, listed.running) == (run, TASK, True)
    assert _engine(tmp_path).list("another") == []
    engine.remove(run)
    assert api.deleted == [{"propagationPolicy": ["Background"]}]
    assert not engine.exists(run)
    engine.remove(run)  # a 404 from the client: already gone
    engine.close()


def test_a_job_the_cluster_refuses_fails_the_run_with_its_message(
    api: StandIn, tmp_path: Path
) -> None:
    api.refusal = 'jobs "wf-x" is forbidden: exceeded quota: compute'
    engine = _engine(tmp_path)
    run = engine.create(_spec(tmp_path))
    with pytest.raises(RunnerError, match=r"refused the run's Job: jobs .* exceeded quota"):
        engine.start(run)
