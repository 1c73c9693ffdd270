"""The control API's request shapes: each field's rule, refused with a 400 naming the field (docs/testing.md §3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from uprof.http.errors import InvalidRequest, quote

FAULT_STATUSES = (400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 529)
RETRY_AFTER_STATUSES = (429, 503, 529)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MAX_ADVANCE_SECONDS = 100 * 365 * 86_400  # a century: far enough for any rule, small enough for a datetime
MAX_JOURNAL_LIMIT = 1000


@dataclass(frozen=True)
class FaultRule:
    method: str
    path: str
    status: int | None
    times: int
    delay_ms: int
    retry_after: int | None


def _only(body: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in body:
        if name not in names:
            raise InvalidRequest(f"{quote(name)}: unknown field")


def _integer(body: dict[str, Any], name: str, low: int, high: int, default: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"{name}: must be an integer from {low} to {high}")
    return value


def organization_name(body: dict[str, Any]) -> str | None:
    _only(body, ("name",))
    name = body.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.strip():
        raise InvalidRequest("name: must be a string of 1 to 100 characters")
    return name


def advance_seconds(body: dict[str, Any]) -> float:
    _only(body, ("seconds",))
    value = body.get("seconds")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest("seconds: required, a number greater than 0")
    if not math.isfinite(value) or not 0 < value <= MAX_ADVANCE_SECONDS:
        raise InvalidRequest(f"seconds: must be greater than 0 and at most {MAX_ADVANCE_SECONDS}")
    return float(value)


def fault_rule(body: dict[str, Any]) -> FaultRule:
    _only(body, ("method", "path", "status", "times", "delay_ms", "retry_after"))
    method = body.get("method", "*")
    if not isinstance(method, str) or (method.upper() not in METHODS and method != "*"):
        raise InvalidRequest(f"method: must be one of {', '.join(METHODS)} or *")
    path = body.get("path", "*")
    if not isinstance(path, str) or not (path == "*" or (path.startswith("/") and len(path) <= 2000)):
        raise InvalidRequest("path: must be * or a path starting with /")
    status = body.get("status")
    if status is not None and (isinstance(status, bool) or status not in FAULT_STATUSES):
        raise InvalidRequest(f"status: must be one of {', '.join(map(str, FAULT_STATUSES))}")
    times = _integer(body, "times", 1, 1000, 1)
    delay_ms = _integer(body, "delay_ms", 0, 30_000, 0)
    if status is None and not delay_ms:
        raise InvalidRequest("status: required unless delay_ms is set")
    retry_after = _integer(body, "retry_after", 0, 86_400, None)
    if retry_after is not None and status not in RETRY_AFTER_STATUSES:
        raise InvalidRequest("retry_after: only for status 429, 503 or 529")
    assert times is not None and delay_ms is not None
    return FaultRule(method.upper(), path.split("?", 1)[0], status, times, delay_ms, retry_after)


def journal_limit(value: str | None) -> int:
    if value is None:
        return 100
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_JOURNAL_LIMIT:
        raise InvalidRequest(f"limit: must be an integer from 1 to {MAX_JOURNAL_LIMIT}")
    return limit
