"""Tasks held while the host or a side session uses their workspace.

A sync writes into the workspace; a verifier reads it. While either works, a
run, accept, cancel or delete of the task would change or remove the
workspace under it: they are refused (409), naming what holds the task.
"""

from __future__ import annotations

from server.errors import Conflict


class Holds:
    def __init__(self) -> None:
        self._held: dict[str, str] = {}  # task id -> what holds it, for the refusal

    def check_idle(self, task_id: str) -> None:
        """409 while something holds the task."""
        doing = self._held.get(task_id)
        if doing is not None:
            raise Conflict(f"the task is {doing}; try again after")

    def hold(self, task_id: str, doing: str) -> None:
        """Hold an idle task (409 if it is not), until ``release``; ``doing`` ends
        "the task is ...", e.g. "being verified"."""
        self.check_idle(task_id)
        self._held[task_id] = doing

    def release(self, task_id: str) -> None:
        self._held.pop(task_id, None)
