"""Time as the API shows it: UTC, microsecond precision, RFC 3339 with a `Z` suffix."""

import threading
from datetime import UTC, datetime, timedelta

# How far this process's clock runs ahead of the real one. Always zero unless the server runs with
# --test-controls, whose virtual clock (uprof.controls, docs/testing.md) sets it; every
# time-based rule reads the time through `utc_now`, so moving this moves them all.
_offset = timedelta(0)
_moving = threading.Lock()  # the request path, the clock follower and the dispatcher all move it


def utc_now() -> datetime:
    """The current time: the real clock, plus the test double's offset when its clock was advanced."""
    if _offset:
        return datetime.now(UTC) + _offset
    return datetime.now(UTC)


def clock_offset() -> timedelta:
    return _offset


def move_clock_to(offset: timedelta) -> bool:
    """Run this process's clock `offset` ahead of the real one; it never moves back, so a smaller
    offset is ignored. Returns whether the clock moved."""
    global _offset
    with _moving:
        if offset <= _offset:
            return False
        _offset = offset
        return True


def format_timestamp(moment: datetime) -> str:
    """Render `moment` as e.g. `2026-11-26T10:15:30.123456Z` (always six fractional digits)."""
    if moment.tzinfo is not UTC:  # every stored time is in UTC already
        moment = moment.astimezone(UTC)
    # Not strftime, whose %Y on glibc writes year 1 as `1`; and not isoformat, which for an aware time
    # works out and writes the `+00:00` this replaces (a list formats two or three times per row).
    # %-formatting: an f-string's format specs cost twice as much here.
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.microsecond)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % fields  # noqa: UP031


def format_seconds(moment: datetime) -> str:
    """RFC 3339 to the second, e.g. `2026-11-26T10:15:31Z` (rate-limit reset times)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch; exact, unlike float timestamps."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(0, 0, micros)  # positional: a keyword argument costs a quarter of the call


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
