"""Waiting in end-to-end tests for something a server does in the background (a delivery, a restart)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T | None], what: str, timeout: float = 10) -> T:
    """Call `condition` every 50 ms until it returns something truthy, and return that; fail the test
    with `what` in the message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)
    return result
