"""One action on many tasks: each task is tried on its own, so one that cannot
make the move (409) or is gone (404) does not stop the others.

Each task goes through the same ``Tasks`` verb a single request would use, so a
bulk move obeys every rule a single one does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from server.errors import ApiError
from server.model import Task
from server.tasks import Tasks

MAX_IDS = 1000
# Selecting by status (archive all done) takes every match, up to this many.
MAX_SELECTED = 100_000
# Cancels stop containers: a few at a time, so a long list neither waits for
# each in turn nor floods the engine.
_AT_ONCE = 8


def verbs(tasks: Tasks) -> dict[str, Callable[[str], Awaitable[Task]]]:
    """The actions a bulk request may name."""
    return {
        "start": tasks.start,
        "cancel": tasks.cancel,
        "archive": lambda task_id: tasks.edit(task_id, {"archived": True}),
        "unarchive": lambda task_id: tasks.edit(task_id, {"archived": False}),
    }


async def apply(tasks: Tasks, action: str, ids: list[str]) -> list[dict[str, Any]]:
    """Per id, in the order given (repeats dropped): the task as it is now, or why not."""
    verb = verbs(tasks)[action]
    gate = asyncio.Semaphore(_AT_ONCE)

    async def one(task_id: str) -> dict[str, Any]:
        async with gate:
            try:
                task = await verb(task_id)
            except ApiError as exc:
                return {"id": task_id, "ok": False, "status": exc.status, "error": exc.message}
        return {"id": task_id, "ok": True, "task": task.to_json()}

    return list(await asyncio.gather(*(one(task_id) for task_id in dict.fromkeys(ids))))
