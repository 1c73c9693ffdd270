"""Use cases of the test double: fresh organizations, reset, the clock, the journal and fault rules.

The webhook flush, which waits on HTTP, is in flush.py; the request hook in hook.py.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Row

from uprof.accounts import repository as accounts_repository
from uprof.accounts import service as accounts
from uprof.controls import repository
from uprof.controls.schemas import FaultRule
from uprof.http.errors import Conflict
from uprof.ids import new_id
from uprof.timestamps import format_timestamp, move_clock_to, utc_now
from uprof.webhooks.wakeup import note_new_work

JOURNAL_KEPT = 1000
# The error type each injectable status answers with: the type the API uses for it, and for the
# statuses it never produces itself, the one the SDK's error types give them.
FAULT_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Fault:
    """A rule that matched a request: what to answer, and how long to wait first."""

    status: int | None
    delay_ms: int
    retry_after: int | None


def create_organization(connection: Connection, name: str | None) -> dict[str, str]:
    """A new organization with an admin key and a standard key (shown once).

    Raises Conflict when an organization of that name exists.
    """
    name = name or f"test-{uuid.uuid4()}"
    if accounts_repository.organization_id_by_name(connection, name) is not None:
        raise Conflict(f"name: an organization named '{name}' already exists")
    admin = accounts.create_key(connection, name="test double", admin=True, organization_name=name)
    standard = accounts.create_key(connection, name="test double", organization_name=name)
    organization_id = accounts.organization_for(connection, name)
    return {"organization_id": organization_id, "admin_key": admin.key, "api_key": standard.key}


def reset(connection: Connection, organization_id: str) -> dict[str, Any]:
    return {"deleted": repository.delete_organization_objects(connection, organization_id)}


def now_view() -> dict[str, str]:
    return {"now": format_timestamp(utc_now())}


def advance(connection: Connection, seconds: float) -> dict[str, str]:
    """Move the shared clock forward by `seconds` (whole microseconds); this process's clock at once,
    and its webhook dispatcher woken once the change commits, to act on the new time (expiry, retries
    now due) without waiting for its next poll."""
    offset = repository.add_to_clock(connection, max(1, round(seconds * 1_000_000)))
    move_clock_to(timedelta(microseconds=offset))
    note_new_work(connection)
    return now_view()


def refresh_clock(connection: Connection) -> bool:
    """Catch this process's clock up with the shared one; whether it moved."""
    return move_clock_to(timedelta(microseconds=repository.clock_offset_micros(connection)))


def record_request(connection: Connection, entry: dict[str, Any], *, trim: bool) -> None:
    """Journal one request (`entry` holds the columns, `at` the moment it arrived); with `trim`, drop the
    organization's requests beyond the newest kept."""
    values = {
        **entry,
        **{name: orjson.dumps(entry[name]).decode() for name in ("query", "headers", "body", "response_body")},
    }
    repository.insert_request(connection, values)
    if trim:
        repository.trim_journal(connection, entry["organization_id"], JOURNAL_KEPT)


def requests(
    connection: Connection, organization_id: str, *, limit: int, method: str | None, path: str | None
) -> list[dict[str, Any]]:
    rows = repository.requests(connection, organization_id, limit=limit, method=method, path=path)
    return [_recorded(row) for row in rows]


def _recorded(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": format_timestamp(row.at),
        "method": row.method,
        "path": row.path,
        "query": orjson.loads(row.query),
        "headers": orjson.loads(row.headers),
        "body": orjson.loads(row.body),
        "status": row.status,
        "response_body": orjson.loads(row.response_body),
    }


def clear_requests(connection: Connection, organization_id: str) -> dict[str, int]:
    return {"deleted": repository.clear_requests(connection, organization_id)}


def add_fault(connection: Connection, organization_id: str, rule: FaultRule) -> dict[str, Any]:
    values = {
        "id": new_id("fault_"),
        "organization_id": organization_id,
        "method": rule.method,
        "path": rule.path,
        "status": rule.status,
        "remaining": rule.times,
        "delay_ms": rule.delay_ms,
        "retry_after": rule.retry_after,
        "created_at": utc_now(),
    }
    repository.insert_fault(connection, values)
    return _fault_view(values)


def faults(connection: Connection, organization_id: str) -> list[dict[str, Any]]:
    return [_fault_view(row) for row in repository.faults(connection, organization_id)]


def _fault_view(row: Any) -> dict[str, Any]:
    names = ("id", "method", "path", "status", "delay_ms", "retry_after")
    return {"type": "fault", **{name: row[name] for name in names}, "remaining": row["remaining"]}


def clear_faults(connection: Connection, organization_id: str) -> dict[str, int]:
    return {"deleted": repository.clear_faults(connection, organization_id)}


def any_fault_matches(connection: Connection, organization_id: str, method: str, path: str) -> bool:
    """Whether a rule of the organization matches (a read, before taking the write lock to use it up)."""
    return any(_matches(row, method, path) for row in repository.faults(connection, organization_id))


def _matches(row: dict[str, Any], method: str, path: str) -> bool:
    return row["method"] in ("*", method) and path_matches(row["path"], path)


def take_fault(connection: Connection, organization_id: str, method: str, path: str) -> Fault | None:
    """The first of the organization's rules that matches the request, with one of its `times` used up."""
    for row in repository.faults(connection, organization_id):
        if _matches(row, method, path) and repository.use_fault(connection, row["id"]):
            return Fault(row["status"], row["delay_ms"], row["retry_after"])
    return None


def path_matches(pattern: str, path: str) -> bool:
    """Whether `path` is the concrete path `pattern`, or matches it as a route template (`{name}`
    stands for one path segment); `*` matches every path."""
    return pattern in ("*", path) or ("{" in pattern and _template(pattern).fullmatch(path) is not None)


@lru_cache(maxsize=256)
def _template(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}/]*\})", pattern)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


def fault_body(status: int, request_id: str) -> bytes:
    error = {"type": FAULT_ERROR_TYPES[status], "message": "injected fault"}
    return orjson.dumps({"type": "error", "error": error, "request_id": request_id})
