"""The console's sign-in throttle on a clock of its own: five failures pass, the sixth waits at most
one refill, a success costs nothing, clients are counted apart."""

from __future__ import annotations

from uprof.console.throttle import FAILURES_ALLOWED, REFILL_SECONDS, SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_beyond_the_allowance_wait_for_one_refill() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    assert [throttle.take("a") for _ in range(FAILURES_ALLOWED)] == [None] * FAILURES_ALLOWED
    assert throttle.take("a") == REFILL_SECONDS
    clock.now += REFILL_SECONDS / 2
    assert throttle.take("a") == REFILL_SECONDS / 2
    clock.now += REFILL_SECONDS / 2
    assert throttle.take("a") is None  # one failure more, then waiting again
    assert throttle.take("a") == REFILL_SECONDS


def test_a_successful_sign_in_gives_its_token_back() -> None:
    throttle = SignInThrottle(clock=Clock())
    for _ in range(FAILURES_ALLOWED * 3):
        assert throttle.take("a") is None
        throttle.refund("a")


def test_clients_are_counted_apart() -> None:
    throttle = SignInThrottle(clock=Clock())
    for _ in range(FAILURES_ALLOWED + 1):
        throttle.take("a")
    assert throttle.take("a") is not None
    assert throttle.take("b") is None
