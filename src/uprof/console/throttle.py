"""Throttled console sign-in: failed sign-ins from one client address are limited (docs/security.md).

Each client address has a bucket of FAILURES_ALLOWED failed sign-ins that refills by one every
REFILL_SECONDS. A sign-in that finds the bucket empty is answered 429 with `retry-after`, before the
key is looked at (so a flood of guesses costs no database write); a successful sign-in gives back
what it took. A client that guessed wrong waits at most REFILL_SECONDS, whoever then arrives with
the right key. Buckets live in the server process: with `--workers N` each process keeps its own.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FAILURES_ALLOWED = 5
REFILL_SECONDS = 12.0
MAX_CLIENTS = 10_000  # buckets kept at once; the least recently failed is forgotten first


@dataclass
class _Bucket:
    tokens: float
    updated: float


class SignInThrottle:
    """Per-client buckets of failed sign-ins; see the module docstring."""

    def __init__(
        self,
        failures_allowed: int = FAILURES_ALLOWED,
        refill_seconds: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = float(failures_allowed)
        self._refill = refill_seconds
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, client: str) -> int | None:
        """Count a sign-in attempt by `client` as failed until `refund` says otherwise; return None when
        it may go ahead, or the whole seconds until it may try again (nothing is counted then).
        Counting before the attempt keeps a burst of concurrent guesses within the bucket too."""
        bucket = self._current(client) or _Bucket(self._capacity, self._clock())
        if bucket.tokens < 1:
            return max(1, math.ceil((1 - bucket.tokens) * self._refill))
        bucket.tokens -= 1
        self._buckets[client] = bucket
        self._buckets.move_to_end(client)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return None

    def refund(self, client: str) -> None:
        """The attempt `take` counted succeeded: give its token back."""
        bucket = self._current(client)
        if bucket is not None:
            bucket.tokens = min(self._capacity, bucket.tokens + 1)

    def _current(self, client: str) -> _Bucket | None:
        bucket = self._buckets.get(client)
        if bucket is None:
            return None
        now = self._clock()
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) / self._refill)
        bucket.updated = now
        if bucket.tokens >= self._capacity:  # back to full: nothing worth remembering
            del self._buckets[client]
        return bucket
