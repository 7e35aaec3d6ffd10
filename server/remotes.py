"""A registered repository's git panel: its status and the push of its default branch.

Only registered repositories: a path the user never added is not read, let
alone pushed. A push may wait on the network for minutes, so it runs on its
own thread (``io.stream``) and never holds one of the pool's workers.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from runner import remotes
from runner.errors import RunnerError
from server.blocking import Blocking
from server.errors import BadGateway, Conflict, NotFound
from server.store import Store


class Remotes:
    def __init__(self, store: Store, io: Blocking) -> None:
        self.store = store
        self.io = io

    async def status(self, path: str) -> dict[str, Any]:
        checkout = await self._registered(path)
        try:
            found = await self.io(remotes.status, checkout)
        except RunnerError as exc:
            raise Conflict(str(exc), field="path") from exc
        return {"path": path, **asdict(found)}

    async def push(self, path: str) -> dict[str, Any]:
        checkout = await self._registered(path)
        try:
            pushed = await self.io.stream("git-push", lambda: remotes.push(checkout))
        except remotes.PushFailed as exc:
            # Refused by the remote: the user's branch is at fault. Otherwise the remote is.
            error = Conflict if exc.cause == "rejected" else BadGateway
            raise error(str(exc), field="path", cause=exc.cause) from exc
        except RunnerError as exc:
            raise Conflict(str(exc), field="path") from exc
        return {"path": path, **asdict(pushed)}

    async def _registered(self, path: str) -> Path:
        if path not in await self.io(self.store.repos):
            raise NotFound(f"{path!r} is not a registered repository", field="path")
        return Path(path)
