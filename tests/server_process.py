"""The real app in a child process, driven over HTTP as a user's client would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.ports import free_port

ROOT = Path(__file__).parent.parent


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the ``wallfacer`` command line as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        repos: list[Path],
        image: str | None,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        scheme: str = "http",
        root: Path = ROOT,  # the source tree the app runs from
    ) -> None:
        self.root = root
        self.data_dir = data_dir
        self.repos = repos
        self.image = image
        self.extra_args = extra_args
        self.extra_env = env or {}
        self.host = host
        self.scheme = scheme
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        explicit = self.extra_env.get("WALLFACER_TOKEN")
        return explicit or (self.data_dir / "token").read_text().strip()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "app",
            "--headless",
            "--addr",
            f"{self.host}:{self.port}",
            "--data-dir",
            str(self.data_dir),
            "--log-dir",
            str(self.data_dir / "logs"),
            *(["--image", self.image] if self.image else []),
            # The fake agent needs no network; tests of the network modes say theirs.
            *([] if "--egress" in self.extra_args else ["--egress", "none"]),
            *self.extra_args,
            *map(str, self.repos),
        ]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WALLFACER_")}
        return {**env, **self.extra_env}

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.root, env=self.environment(), stdout=log, stderr=log
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if requests.get(self.url + "/health", timeout=1, verify=False).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not answer /health:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9: no cleanup of any kind, as in a crash or power loss."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    # --- HTTP ---------------------------------------------------------------

    def request(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        kwargs.setdefault("verify", False)  # the TLS tests use a self-signed certificate
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def api(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.request(method, path, json=body)
        assert response.status_code == status, (response.status_code, response.text)
        return response.json()

    def create(self, prompt: str, **fields: Any) -> dict[str, Any]:
        return self.api("POST", "/api/tasks", {"prompt": prompt, **fields}, status=201)  # type: ignore[no-any-return]

    def task(self, task_id: str) -> dict[str, Any]:
        return self.api("GET", f"/api/tasks/{task_id}")  # type: ignore[no-any-return]

    def act(self, task_id: str, action: str, body: Any = None, status: int = 202) -> Any:
        return self.api("POST", f"/api/tasks/{task_id}/{action}", body, status=status)

    def wait_for(self, task_id: str, *statuses: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        task = self.task(task_id)
        while task["status"] not in statuses:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"task stayed {task['status']} (wanted {statuses}): {task}\n"
                    + self.log()[-3000:]
                )
            time.sleep(0.05)
            task = self.task(task_id)
        return task

    def events(self, task_id: str) -> list[dict[str, Any]]:
        """The task's whole log, page by page."""
        found: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.api("GET", f"/api/tasks/{task_id}/events?limit=5000&after={after}")
            found += page["events"]
            if page["next"] is None:
                return found
            after = page["next"]

    def sse(
        self,
        path: str,
        until: Callable[[list[dict[str, Any]]], bool],
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> list[dict[str, Any]]:
        """Read server-sent events until ``until(events)`` holds or the stream ends."""
        events: list[dict[str, Any]] = []
        response = self.request("GET", path, stream=True, headers=headers or {})
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + timeout
        current: dict[str, Any] = {}
        with response:
            for raw_bytes in response.iter_lines():
                raw = raw_bytes.decode()
                if time.monotonic() > deadline:
                    raise AssertionError(f"SSE timed out after {events}")
                if raw == "":
                    if "event" in current:
                        current["data"] = json.loads(current.get("data", "null"))
                        events.append(current)
                        if until(events):
                            return events
                    current = {}
                elif raw.startswith(":"):
                    continue
                else:
                    key, _, value = raw.partition(": ")
                    current[key] = int(value) if key == "id" else value
        return events


def added_text(diff: dict[str, Any]) -> str:
    """The lines a diff endpoint's body adds, one a line, their highlighting joined back."""
    return "\n".join(
        "".join(text for _, text in line[3])
        for change in diff["changes"]
        for hunk in change["hunks"]
        for line in hunk["lines"]
        if line[0] == "+"
    )


def remove_egress(server: ServerProcess) -> None:
    """The task containers, egress proxy and networks a test's app made: they outlive
    the app by design."""
    from runner.containers import Engine, instance_id
    from runner.egress import Egress

    engine, instance = Engine(), instance_id(server.data_dir)
    for container in engine.list(instance):
        engine.remove(container.id)
    Egress(engine, instance).remove()
