"""When the next attempt of a failed delivery is due (docs/reference/webhooks.md §6, Retries)."""

from __future__ import annotations

import random
from datetime import timedelta

CEILING = timedelta(hours=4)
JITTER = 0.10


def retry_delay(failed_attempts: int, base_seconds: float, rng: random.Random | None = None) -> timedelta:
    """The wait after the `failed_attempts`-th failed attempt: min(base × 2^(n−1), 4 h), ±10 % jitter."""
    exponent = min(max(failed_attempts, 1) - 1, 64)  # past 2^64 the ceiling has long won
    nominal = min(base_seconds * 2.0**exponent, CEILING.total_seconds())
    spread = (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=nominal * (1 + spread))
