"""What every remote backend (``runner.swarm``, ``runner.kube``) does alike for a run.

A remote run is the ship wrapper (``ship.sh``) around what the image would
run, with the run's URL and a token of its own in its env; what it is
shipped lands in folders it may write, the root being read-only. Its plan
(which host folders it is sent and may send back) and the token's hash are
kept in a file of the data dir, never read back from the cluster, where
anyone who may make a service or a Job could name any folder; so a run
re-adopted after a restart can still send its result. Each way is accepted
once, for that token only, and marked by a file there too, so that a restart
of the app grants neither way again.

A backend may make a run on the cluster ahead of its start (``server.ahead``),
so that the start skips the cluster's scheduling: its wrapper then asks for its
files at once, and is held until the start. A mark file says it is held, so that
after a restart, when nothing can start it any more, it is refused its files
(and swept: ``list`` tells it as made ahead and never started).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from runner import boot, shipping
from runner.containers import ContainerState, Engine
from runner.errors import RunnerError, ShipDenied
from runner.homes import HOME
from runner.runspec import WORKSPACE, RunSpec

# The longest a run made ahead waits for its start (``server.ahead`` removes it sooner).
HOLD_S = 600.0
# Where a run writes, the root being read-only: what it is shipped lands there.
SCRATCH = ("/tmp", WORKSPACE, HOME, "/wallfacer")
WRAPPER = ("/bin/sh", "-c", shipping.SCRIPT, "ship")  # then what the image would run
RUN_NAME = re.compile(r"wf-[a-z0-9-]+")  # as the backends name a run: a mark's file name


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The token's sha256: kept on the cluster, where it is no secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def launch(
    image: dict[str, Any], spec: RunSpec, url: str, token: str
) -> tuple[list[str], dict[str, str]]:
    """The wrapper's arguments (what it runs once the files are in) and the env, for
    an image as inspected: the steps before the agent first, as a local run has them."""
    command = boot.command(image, spec.args)
    env = {**spec.env, "HOME": HOME}
    if spec.boot is not None:
        command = [*boot.ENTRYPOINT, *command]
        env["WALLFACER_PREFIX"] = boot.PREFIX
    env |= {
        "WALLFACER_SHIP_URL": url,
        "WALLFACER_SHIP_TOKEN": token,
        "WALLFACER_WORKDIR": f"{WORKSPACE}/{spec.repo_name}",
    }
    return command, env


class Shipments:
    """The runs' transfers: each way once, for the run's own token, marked by a file
    of ``marks`` made only if absent; why a result was refused, for the run's exit,
    kept in memory as a run's pending state is."""

    def __init__(self, marks: Path) -> None:
        self.marks = marks  # "<run>.in", "<run>.out"
        marks.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._refusals: dict[str, str] = {}
        self._guard = threading.Lock()

    def remember(self, run: str, token: str, plan: shipping.Plan) -> None:
        """Keep a run's plan and its token's hash, before the run can ask for them."""
        record = json.dumps({"token": token_hash(token), "plan": plan.dumps()}).encode()
        fd = os.open(self.marks / f"{run}.plan", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(record)

    def check(self, run: str, token: str) -> shipping.Plan:
        """The run's plan, if ``token`` is its own; it marks nothing, so a request is
        checked before its body is read."""
        if not RUN_NAME.fullmatch(run):
            raise ShipDenied("no such run")
        try:
            record = json.loads((self.marks / f"{run}.plan").read_bytes())
        except FileNotFoundError as exc:
            raise ShipDenied("no such run") from exc
        if not hmac.compare_digest(str(record["token"]), token_hash(token)):
            raise ShipDenied("not this run's token")
        return shipping.Plan.loads(record["plan"])

    def plan(self, run: str, token: str, way: str) -> shipping.Plan:
        """``check``, then the way marked as taken: once only. Under the guard, as
        ``forget`` is: a request racing a removal must not find the way's mark gone
        and the plan still there (a second transfer, and a mark left behind)."""
        with self._guard:
            plan = self.check(run, token)
            try:
                (self.marks / f"{run}.{way}").touch(mode=0o600, exist_ok=False)
            except FileExistsError as exc:
                raise ShipDenied(f"the run's files were already sent {way}") from exc
        return plan

    def send(self, plan: shipping.Plan, out: IO[bytes]) -> None:
        shipping.pack(plan, out)

    def take(self, run: str, plan: shipping.Plan, stream: IO[bytes]) -> None:
        try:
            shipping.unpack(plan, io.BufferedReader(shipping.Decoded(stream)))
        except RunnerError as exc:
            with self._guard:
                self._refusals[run] = f"the run's result was refused: {exc}"
            raise

    def refusal(self, run: str) -> str:
        with self._guard:
            return self._refusals.get(run, "")

    def forget(self, run: str) -> None:
        """A removed run: whatever it sends later is denied, its plan gone."""
        with self._guard:
            self._refusals.pop(run, None)
            for way in ("plan", "in", "out", "held"):
                (self.marks / f"{run}.{way}").unlink(missing_ok=True)

    def hold(self, run: str) -> None:
        (self.marks / f"{run}.held").touch(mode=0o600)

    def held(self, run: str) -> bool:
        return (self.marks / f"{run}.held").exists()

    def held_runs(self) -> list[str]:
        return [mark.stem for mark in self.marks.glob("*.held")]

    def release(self, run: str) -> None:
        (self.marks / f"{run}.held").unlink(missing_ok=True)


@dataclass(frozen=True)
class Hold:
    """A run made ahead: whether its wrapper has asked for its files, and its start."""

    asked: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)


class RemoteEngine(Engine):
    """An ``Engine`` whose runs are shipped their files. A run is only a plan until
    its start: the cluster's object (a service, a Job) runs as soon as it is made,
    so ``create`` keeps the plan and the backend's ``start`` makes it."""

    def __init__(self, advertise_url: str, marks: Path) -> None:
        super().__init__()
        self.advertise_url = advertise_url.rstrip("/")
        self._pending: dict[str, tuple[RunSpec, bool]] = {}  # created, not started
        self._held: dict[str, Hold] = {}  # made ahead on the cluster, not started
        self._ships = Shipments(marks)
        self._guard = threading.Lock()

    def _plan(self, run: str, spec: RunSpec, ahead: bool) -> str:
        with self._guard:
            self._pending[run] = (spec, ahead)
        return run

    def created(self, container_id: str) -> bool:
        with self._guard:
            return container_id in self._pending or container_id in self._held

    def _is_held(self, run: str) -> bool:
        with self._guard:
            return run in self._held

    def _hold(self, run: str) -> None:
        """A run about to be made on the cluster ahead of its start: its fetch waits."""
        self._ships.hold(run)
        with self._guard:
            self._held[run] = Hold()

    def _until_asked(self, run: str, timeout: float) -> None:
        """Wait until a run made ahead asks for its files: from then on its start only
        lets it go. A cluster slower than ``timeout`` still has it start, later."""
        with self._guard:
            hold = self._held.get(run)
        if hold is not None:
            hold.asked.wait(timeout)

    def _release(self, run: str) -> bool:
        """Let a run made ahead fetch its files (True), or say it was not one held."""
        if not self._is_held(run):
            return False
        self._ships.release(run)  # first: a fetch coming now still finds its hold
        with self._guard:
            hold = self._held.pop(run, None)
        if hold is not None:
            hold.go.set()
        return True

    def _take(self, run: str) -> RunSpec:
        """A created run's plan, for its start."""
        with self._guard:
            return self._pending.pop(run)[0]

    def _unplan(self, run: str) -> bool:
        """Drop a run that never started (True then: nothing of it is on the cluster)."""
        with self._guard:
            return self._pending.pop(run, None) is not None

    def _planned(self, instance: str) -> list[ContainerState]:
        """The instance's runs created and not started, as ``list`` tells them."""
        with self._guard:
            return [
                ContainerState(run, spec.task_id, False, False, ahead)
                for run, (spec, ahead) in self._pending.items()
                if spec.instance == instance
            ]

    def ship_check(self, run: str, token: str) -> bool:
        self._ships.check(run, token)
        return self._is_held(run)

    def ship_wait(self, run: str) -> None:
        with self._guard:
            hold = self._held.get(run)
        if hold is not None:
            hold.asked.set()
            hold.go.wait(HOLD_S)

    def ship_in(self, run: str, token: str, out: IO[bytes]) -> None:
        if self._ships.held(run):  # not started, or left held by a restart
            raise ShipDenied("the run was not started")
        self._ships.send(self._ships.plan(run, token, "in"), out)

    def ship_out(self, run: str, token: str, stream: IO[bytes]) -> None:
        self._ships.take(run, self._ships.plan(run, token, "out"), stream)
