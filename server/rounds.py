"""An accept's conflict rounds: a conflict handed to the task's own agent.

When accept's rebase conflicts and rounds are left (the ``conflict_rounds``
setting), the task's session is resumed with a prompt naming the conflicting
files and the default branch's new head, its workspace first made that head
with the change merged in and conflict markers where git could not merge
(``runner.resolve``: why there, and not a rebase by the agent). When that run
ends cleanly, ``landing`` accepts again as the person's accept did; a failed
run fails the task as any run does. Each round is a note in the task's log:
which round, which files, onto which commit.

The change is saved (a commit in the task's host git dir, its id stored)
before the workspace is written: a restart that finds a preparation cut off
redoes it from the same change (``recovery``).
"""

from __future__ import annotations

from runner.errors import listing
from server import checkouts
from server.config import ConfigStore
from server.lifecycle import Lifecycle
from server.model import Task
from server.runs import Runs
from server.states import Action


class Rounds:
    def __init__(self, life: Lifecycle, runs: Runs, config: ConfigStore) -> None:
        self.life = life
        self.runs = runs
        self.config = config

    def left(self, task: Task) -> bool:
        """Whether another round may start: the agent has a session to resume."""
        return bool(task.session_id) and task.conflict_round < self.config.current.conflict_rounds

    async def start(self, task: Task, files: list[str], message: str) -> None:
        """Save the change, then prepare the next round (``left`` said there is one);
        RunnerError if the change cannot be read or the workspace written."""
        change = await self.life.io(checkouts.save_change, task)
        task = await self.life.update(
            task.id,
            conflict_round=task.conflict_round + 1,
            conflict_change=change,
            conflict_files=files,
            accept_message=message,
        )
        await self.prepare(task)

    async def prepare(self, task: Task) -> None:
        """Write the round's workspace from the saved change and resume the agent on it
        (also to finish a preparation a restart cut off)."""
        prepared = await self.life.io(checkouts.prepare_round, task)
        files = sorted({*task.conflict_files, *prepared.files})
        branch, n = task.base_branch, task.conflict_round
        limit = self.config.current.conflict_rounds
        await self.life.note(
            task.id,
            "system",
            message=f"conflict round {n} of {limit}: {listing(files)} conflict with {branch} "
            f"at {prepared.base[:12]}; the agent is asked to resolve them",
            files=files,
        )
        task = await self.life.move(
            task.id,
            Action.RESOLVE,
            f"resolving the conflict with {branch}, round {n} of {limit}",
            base_commit=prepared.base,
            conflict_files=files,
            conflict_change="",
            marked_files=sorted({*task.marked_files, *prepared.files}),
            error="",
        )
        text = prompt(branch, prepared.base, prepared.subject, files, n, limit)
        self.runs.launch(task, text, task.session_id)


def prompt(branch: str, base: str, subject: str, files: list[str], n: int, limit: int) -> str:
    """What the agent is asked: one file a line, so a reader (or the test agent) finds them."""
    listed = "\n".join(f"- {path}" for path in files)
    return (
        f"Your change could not be merged: {branch} has moved on to commit {base[:12]} "
        f'("{subject}"), and conflicts with your change in these files:\n{listed}\n\n'
        f"Your workspace now holds {branch} at that commit with your change merged in. Where "
        "the two could not be merged, a file holds both versions between conflict markers: "
        f"{branch}'s first (after <<<<<<<), then yours (after =======, up to >>>>>>>). A "
        "file deleted on one side and changed on the other, or a binary file, holds your "
        f"version: compare it with {branch}'s.\n\n"
        f"Resolve every conflict so that the files keep what {branch} changed as well as what "
        "your change is for, remove every marker, and check that the project still works. "
        "Do not commit: your files are taken as they are and merged again when you finish. "
        f"This is attempt {n} of {limit}."
    )
