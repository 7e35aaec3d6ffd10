"""The sign-in limiter, on a clock the test moves: who is slowed down, for how long, until when."""

from __future__ import annotations

import pytest

from server.ratelimit import FREE_FAILURES, MAX_BACKOFF_S, WINDOW_S, LoginLimiter


class Clock:
    """Time that passes only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> LoginLimiter:
    return LoginLimiter(clock)


def fail(limiter: LoginLimiter, client: str, times: int) -> None:
    for _ in range(times):
        limiter.failed(client)


@pytest.mark.parametrize(
    ("gap_s", "blocked"),
    [
        (0.0, True),  # a burst
        (WINDOW_S / (FREE_FAILURES - 1), True),  # the first failure is still in the window
        (WINDOW_S / (FREE_FAILURES - 1) + 0.5, False),  # it has just left the window
        (WINDOW_S, False),  # one failure a minute is never slowed down
    ],
)
def test_a_client_is_slowed_down_after_a_few_failures_a_minute(
    limiter: LoginLimiter, clock: Clock, gap_s: float, blocked: bool
) -> None:
    for _ in range(FREE_FAILURES - 1):
        limiter.failed("10.0.0.1")
        assert limiter.wait_s("10.0.0.1") == 0.0
        clock.now += gap_s
    limiter.failed("10.0.0.1")
    assert limiter.wait_s("10.0.0.1") == (WINDOW_S if blocked else 0.0)


def test_the_wait_runs_out(limiter: LoginLimiter, clock: Clock) -> None:
    fail(limiter, "10.0.0.1", FREE_FAILURES)
    clock.now += WINDOW_S - 1
    assert limiter.wait_s("10.0.0.1") == 1.0
    clock.now += 1
    assert limiter.wait_s("10.0.0.1") == 0.0
    clock.now += 0.01  # a retry arrives a moment after the block ends
    limiter.failed("10.0.0.1")
    assert limiter.wait_s("10.0.0.1") == 0.0, "the failures before the block have expired"


def test_each_block_doubles_the_next_up_to_a_cap(limiter: LoginLimiter, clock: Clock) -> None:
    waits = []
    for _ in range(7):
        fail(limiter, "10.0.0.1", FREE_FAILURES)
        waits.append(limiter.wait_s("10.0.0.1"))
        clock.now += waits[-1] + 1
    assert waits == [60.0, 120.0, 240.0, 480.0, MAX_BACKOFF_S, MAX_BACKOFF_S, MAX_BACKOFF_S]


def test_a_success_forgets_the_failures_and_the_blocks(limiter: LoginLimiter, clock: Clock) -> None:
    fail(limiter, "10.0.0.1", FREE_FAILURES)  # one block: the next would last twice as long
    clock.now += WINDOW_S + 1
    fail(limiter, "10.0.0.1", FREE_FAILURES - 1)
    limiter.succeeded("10.0.0.1")
    fail(limiter, "10.0.0.1", FREE_FAILURES - 1)
    assert limiter.wait_s("10.0.0.1") == 0.0, "the failures before the success are gone"
    limiter.failed("10.0.0.1")
    assert limiter.wait_s("10.0.0.1") == WINDOW_S, "a first block again, not a second"


def test_clients_are_counted_apart(limiter: LoginLimiter) -> None:
    fail(limiter, "10.0.0.1", FREE_FAILURES)
    fail(limiter, "10.0.0.2", FREE_FAILURES - 1)
    assert limiter.wait_s("10.0.0.1") == WINDOW_S
    assert limiter.wait_s("10.0.0.2") == 0.0
    assert limiter.wait_s("10.0.0.3") == 0.0, "a client never seen"
    limiter.succeeded("10.0.0.2")
    assert limiter.wait_s("10.0.0.1") == WINDOW_S, "another's success frees no one"


def test_a_flood_of_clients_is_forgotten_but_blocked_ones_stay_blocked(
    limiter: LoginLimiter, clock: Clock
) -> None:
    fail(limiter, "blocked", FREE_FAILURES)
    fail(limiter, "almost", FREE_FAILURES - 1)
    for n in range(10_000):
        limiter.failed(f"flood-{n}")
    limiter.failed("almost")
    assert limiter.wait_s("almost") == 0.0, "its earlier failures were dropped to bound memory"
    assert limiter.wait_s("blocked") == WINDOW_S
