"""Slowing down password guessing: a few failures a minute per client, then backoff."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

FREE_FAILURES = 5
WINDOW_S = 60.0
MAX_BACKOFF_S = 15 * 60.0


@dataclass
class _Client:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    strikes: int = 0


class LoginLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock`` is there for tests, which cannot wait out a real backoff."""
        self._clock = clock
        self._clients: dict[str, _Client] = {}

    def wait_s(self, client: str) -> float:
        """Seconds this client must wait before trying again (0 when it may try)."""
        state = self._clients.get(client)
        return max(0.0, state.blocked_until - self._clock()) if state else 0.0

    def failed(self, client: str) -> None:
        now = self._clock()
        state = self._clients.setdefault(client, _Client())
        state.failures.append(now)
        while state.failures and state.failures[0] < now - WINDOW_S:
            state.failures.popleft()
        if len(state.failures) >= FREE_FAILURES:
            state.strikes += 1
            state.blocked_until = now + min(MAX_BACKOFF_S, WINDOW_S * 2 ** (state.strikes - 1))
        if len(self._clients) > 10_000:  # never let a flood of clients grow memory
            self._clients = {k: v for k, v in self._clients.items() if v.blocked_until > now}

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)
