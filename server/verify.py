"""Verification: a verifier session judges a waiting or failed task's change.

"Test" (``POST /api/tasks/{id}/verify``) asks the task's agent, in a side
session (``side``), whether the change does what the task asked, ending with
a line ``VERDICT PASS`` or ``VERDICT FAIL`` and its reasons. The verdict is
stored on the task (pass, fail, or error when there is no such line or no
answer at all, saying why), shown as a badge, and noted in the task's log.

The verifier sees the task's workspace mounted read-only: a verifier that
could write would change the very change it judges, and a throwaway copy
would cost a copy of the whole tree per verdict. The kernel enforces
read-only; a verifier that must build copies the tree into its own /tmp. The
task is held meanwhile (``holds``), so no run, accept or delete changes the
workspace under it.

With ``auto_test`` (the task's, else the settings'), a run that ends in
waiting is verified by itself; with ``auto_accept``, a PASS accepts the task
through ``Tasks.accept``, the path a person's accept takes, conflict rounds
included.
"""

from __future__ import annotations

import logging
import re

from runner.errors import RunnerError
from server import checkouts, states
from server.config import ConfigStore
from server.errors import ApiError, Conflict, Unprocessable
from server.jobs import Jobs
from server.model import Task
from server.side import SideFailed, SideSessions
from server.states import Status
from server.store.db import now
from server.tasks import Tasks

log = logging.getLogger(__name__)
# The answer's last line of this shape is the verdict; Markdown around it is allowed.
_VERDICT = re.compile(r"^[\s*_#>`]*VERDICT\W*(PASS|FAIL)\b[\s*_`:.,-]*(.*)$", re.I | re.M)
MAX_REASONS = 2000


class Verifier:
    def __init__(self, tasks: Tasks, side: SideSessions, config: ConfigStore, jobs: Jobs) -> None:
        self.tasks = tasks
        self.life = tasks.life
        self.side = side
        self.config = config
        self.jobs = jobs

    async def verify(self, task_id: str) -> Task:
        """Start the verifier; 409 unless the task has stopped with a workspace and
        nothing else holds it (a second verify, a sync)."""
        task = await self.life.get(task_id)
        if task.status not in states.VERIFIABLE:
            which = " or ".join(sorted(states.VERIFIABLE))
            raise Conflict(f"only a {which} task can be verified, not a {task.status} one")
        if not await self.life.io(checkouts.has_workspace, task):
            raise Conflict("the task has no workspace: nothing to verify")
        missing = await self.life.io(self.config.missing, task.agent)
        if missing:
            raise Unprocessable(missing, field="env")
        self.tasks.holds.hold(task_id, "being verified")
        try:
            task = await self.life.update(
                task_id, verdict="running", verdict_reasons="", verdict_at="", verdict_cost_usd=0.0
            )
            await self.life.note(task_id, "system", message="a verifier is judging the change")
        except BaseException:
            self.tasks.holds.release(task_id)
            raise
        self.jobs.spawn(self._judge(task))
        return task

    async def finished(self, task_id: str) -> None:
        """A run ended in waiting: verify it if the task (or the settings) says so."""
        task = await self.life.get(task_id)
        if task.status != Status.WAITING or not _chosen(
            task.auto_test, self.config.current.auto_test
        ):
            return
        try:
            await self.verify(task_id)
        except ApiError as exc:
            await self.life.note(task_id, "error", message=f"could not verify by itself: {exc}")

    async def _judge(self, task: Task) -> None:
        cost = 0.0
        try:
            workspace = (await self.life.io(checkouts.workspace, task)).path
            answer = await self.side.ask(
                task, "verify", prompt(task), workspace, self.config.current.timeout_s
            )
            cost = answer.cost_usd
            verdict, reasons = parse(answer.text)
        except SideFailed as exc:
            verdict, reasons, cost = "error", f"the verifier gave no verdict: {exc}", exc.cost_usd
        except RunnerError as exc:  # e.g. the repository is gone
            verdict, reasons = "error", f"the verifier could not start: {exc}"
        except Exception as exc:  # a bug: the verdict must not stay "running"
            log.exception("verifying task %s failed", task.id[:8])
            verdict, reasons = "error", f"the verifier failed unexpectedly: {exc}"
        try:
            task = await self.life.update(
                task.id,
                verdict=verdict,
                verdict_reasons=reasons,
                verdict_at=now(),
                verdict_cost_usd=cost,
            )
        finally:
            self.tasks.holds.release(task.id)
        kind = "error" if verdict == "error" else "system"
        await self.life.note(
            task.id, kind, message=f"verdict: {verdict.upper()}: {reasons}", verdict=verdict
        )
        auto = _chosen(task.auto_accept, self.config.current.auto_accept)
        if verdict == "pass" and auto and task.status == Status.WAITING:
            try:
                await self.tasks.accept(task.id)
            except ApiError as exc:
                await self.life.note(task.id, "error", message=f"could not accept by itself: {exc}")


def _chosen(own: bool | None, default: bool) -> bool:
    return default if own is None else own


def prompt(task: Task) -> str:
    """What the verifier is asked. No line starts with a word the test agent takes
    for a command; the task's prompt is set apart between rules."""
    return (
        "You are reviewing the work of another coding agent, to decide whether it is done.\n"
        "The task it was given is between the two lines of dashes:\n"
        f"----------\n{task.prompt}\n----------\n\n"
        "Its change is in your working directory, not committed: compare it with the last "
        "commit (git status, git diff HEAD). The directory is read-only; to build or run "
        "tests, copy it into /tmp first. Do not try to fix anything.\n\n"
        "Judge whether the change does what the task asks, correctly and completely. "
        "End your answer with a line that is exactly VERDICT PASS or VERDICT FAIL, "
        "followed by a few lines giving your reasons."
    )


def parse(text: str) -> tuple[str, str]:
    """The verdict (pass, fail, or error with why) and its reasons from an answer."""
    found = list(_VERDICT.finditer(text))
    if not found:
        shown = " ".join(text.split())[:300] or "(empty)"
        return "error", f"the verifier's answer has no VERDICT PASS or VERDICT FAIL line: {shown}"
    last = found[-1]
    after = (last.group(2) + text[last.end() :]).strip()
    before = text[: last.start()].strip()
    reasons = after or before or "(no reasons given)"
    return last.group(1).lower(), reasons[:MAX_REASONS]
