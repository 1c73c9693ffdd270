"""Wire-level validation of profile requests: every rule of docs/reference/profiles.md §3 and the list query of §4.4.

The output is in stored terms (the newest revision's vocabulary), whatever revision the request
used; which fields a revision accepts is decided in revisions.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from uprof.http.errors import InvalidRequest, member_path
from uprof.http.revisions import Revision
from uprof.profiles import revisions

MAX_METADATA_KEYS = 16
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_VALUE_LENGTH = 512
MAX_FUTURE = timedelta(seconds=60)

ACCESS_TYPES = ("application", "passthrough")
ACCOUNT_STATUSES = ("active", "suspended", "blocked")
ENTITY_TYPES = ("individual", "business", "non_profit", "government")
ENFORCEMENT_STATUSES = ("unrestricted", "pending", "restricted", "banned")
RELATIONSHIP_TO_ACCESS_TYPE = {"external": "application", "resold": "passthrough"}

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII
)
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)


@dataclass
class ProfileInput:
    """The stored values a create or update request sets; absent keys are left alone."""

    values: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] | None = None  # create: the whole map; update: the patch to merge


def parse_profile_body(body: Mapping[str, Any], revision: Revision, *, creating: bool, now: datetime) -> ProfileInput:
    """Validate a create (`creating`) or update body under `revision`; raise InvalidRequest on the first problem."""
    for key in body:
        revisions.check_field_accepted(key, revision)
    result = ProfileInput()
    values = result.values
    if "name" in body:
        values["name"] = _optional_text(body["name"], "name")
    if "external_id" in body:
        values["reference_id"] = _optional_text(body["external_id"], "external_id")
    if "relationship" in body:
        _set_access_type(values, body["relationship"], "relationship", creating)
    if "access_type" in body:
        _set_access_type(values, body["access_type"], "access_type", creating)
    if "external_user_onboarded_at" in body:
        values["onboarded_at"] = _required_timestamp(
            body["external_user_onboarded_at"], "external_user_onboarded_at", creating, now
        )
    if "external_user_details" in body:
        values.update(_external_user_details(body["external_user_details"], creating, now))
    if "metadata" in body:
        result.metadata = _metadata(body["metadata"], creating)
    return result


def _optional_text(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{path}: must be a string or null")
    if not 1 <= len(value) <= 255:
        raise InvalidRequest(f"{path}: must be 1 to 255 characters")
    return value


def _set_access_type(values: dict[str, Any], value: Any, path: str, creating: bool) -> None:
    if value is None and not creating:
        return  # null on update means unchanged
    if path == "relationship":
        if value == "internal":
            raise InvalidRequest("relationship: internal is not supported; use external or resold")
        if not isinstance(value, str) or value not in RELATIONSHIP_TO_ACCESS_TYPE:
            raise InvalidRequest("relationship: must be one of external, resold")
        values["access_type"] = RELATIONSHIP_TO_ACCESS_TYPE[value]
    else:
        if value not in ACCESS_TYPES:
            raise InvalidRequest("access_type: must be one of application, passthrough")
        values["access_type"] = value


def _required_timestamp(value: Any, path: str, creating: bool, now: datetime) -> datetime:
    if value is None and not creating:
        raise _cannot_clear(path)
    if not isinstance(value, str):
        raise InvalidRequest(f"{path}: must be an RFC 3339 timestamp")
    moment = parse_timestamp(value)
    if moment is None:
        raise InvalidRequest(f"{path}: must be a complete RFC 3339 timestamp with a UTC offset")
    if moment - now > MAX_FUTURE:
        raise InvalidRequest(f"{path}: must not be more than 1 minute in the future")
    return moment


def parse_timestamp(text: str) -> datetime | None:
    """A complete RFC 3339 timestamp as an aware UTC datetime (fraction truncated to µs), or None."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, offset_h, offset_m = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:  # not a calendar date or time
        return None
    if zulu:
        return moment
    if int(offset_h) > 23 or int(offset_m) > 59:
        return None
    offset = timedelta(hours=int(offset_h), minutes=int(offset_m))
    try:
        return moment - offset if sign == "+" else moment + offset
    except OverflowError:
        # A real instant just outside what a datetime holds: after 9999-12-31T23:59:59.999999Z it is
        # later than any rule allows, so it becomes the last instant (and meets the "future" checks);
        # before year 1 it cannot be stored, and is refused with the format message.
        return datetime.max.replace(tzinfo=UTC) if sign == "-" else None


def _cannot_clear(path: str) -> InvalidRequest:
    return InvalidRequest(f"{path}: cannot be cleared once set; omit it to leave it unchanged")


# external_user_details keys in the order they are checked (alphabetical), with their stored column.
DETAIL_KEYS = ("account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id")


def _external_user_details(value: Any, creating: bool, now: datetime) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest("external_user_details: must be an object")
    for key in value:
        if key not in DETAIL_KEYS:
            raise InvalidRequest(f"{member_path('external_user_details', key)}: unknown field")
    stored: dict[str, Any] = {}
    for key in DETAIL_KEYS:
        if key not in value:
            continue
        path = f"external_user_details.{key}"
        item = value[key]
        if key == "onboarded_at":
            stored[key] = _required_timestamp(item, path, creating, now)
        elif item is None:
            if not creating:
                raise _cannot_clear(path)
            stored[key] = None
        else:
            stored[key] = _detail_value(key, item, path)
    return stored


def _detail_value(key: str, item: Any, path: str) -> str:
    if key == "country":
        if not isinstance(item, str) or not _COUNTRY.fullmatch(item):
            raise InvalidRequest(f"{path}: must be two uppercase ASCII letters")
    elif key == "account_status":
        if item not in ACCOUNT_STATUSES:
            raise InvalidRequest(f"{path}: must be one of {', '.join(ACCOUNT_STATUSES)}")
    elif key == "entity_type":
        if item not in ENTITY_TYPES:
            raise InvalidRequest(f"{path}: must be one of {', '.join(ENTITY_TYPES)}")
    else:
        if not isinstance(item, str):
            raise InvalidRequest(f"{path}: must be a string")
        if not 1 <= len(item) <= 255:
            raise InvalidRequest(f"{path}: must be 1 to 255 characters")
    return str(item)


def _metadata(value: Any, creating: bool) -> dict[str, str]:
    """Check a metadata object; every problem is listed in one message (docs/reference/profiles.md §3.4)."""
    if not isinstance(value, dict):
        raise invalid_metadata(["metadata: must be an object"])
    problems = []
    if len(value) > MAX_METADATA_KEYS:
        problems.append(f"metadata: at most {MAX_METADATA_KEYS} keys are allowed, got {len(value)}")
    for key, item in value.items():
        path = member_path("metadata", key)
        if not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            problems.append(f"{path}: key must be 1 to {MAX_METADATA_KEY_LENGTH} characters")
        if not isinstance(item, str):
            problems.append(f"{path}: value must be a string")
        elif len(item) > MAX_METADATA_VALUE_LENGTH:
            problems.append(f"{path}: value must be at most {MAX_METADATA_VALUE_LENGTH} characters")
        elif item == "" and creating:
            problems.append(f"{path}: value must not be empty")
    if problems:
        raise invalid_metadata(problems)
    return dict(value)


def invalid_metadata(problems: list[str]) -> InvalidRequest:
    return InvalidRequest("; ".join(problems), error_code="invalid_metadata")


@dataclass(frozen=True)
class ListQuery:
    limit: int
    order: str
    order_by: str
    page: str | None
    enforcement_statuses: frozenset[str] | None


def parse_list_query(params: Any, revision: Revision) -> ListQuery:
    """Validate the query of `GET /v1/user_profiles`; `params` is a multi-dict (getlist)."""
    limit_text = _single(params, "limit")
    limit = 20
    if limit_text is not None:
        # The length test keeps int() away from digit strings it refuses to convert (over 4,300 digits).
        if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 3 and 1 <= int(limit_text) <= 100):
            raise InvalidRequest("limit: must be an integer from 1 to 100")
        limit = int(limit_text)
    order = _single(params, "order")
    if order is None:
        order = "desc"
    elif order not in ("asc", "desc"):
        raise InvalidRequest("order: must be one of asc, desc")
    order_by = _single(params, "order_by")
    if order_by is not None and order_by not in ("created_at", "name"):
        raise InvalidRequest("order_by: must be one of created_at, name")
    page = _single(params, "page")
    if page == "":
        raise InvalidRequest("page: not a valid cursor")
    statuses = params.getlist("enforcement_status") + params.getlist("enforcement_status[]")
    filter_values: frozenset[str] | None = None
    if statuses:
        revisions.check_query_accepted("enforcement_status", revision)
        for status in statuses:
            if status not in ENFORCEMENT_STATUSES:
                raise InvalidRequest(f"enforcement_status: must be one of {', '.join(ENFORCEMENT_STATUSES)}")
        filter_values = frozenset(statuses)
    return ListQuery(limit, order, order_by or "created_at", page, filter_values)


def _single(params: Any, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise InvalidRequest(f"{name}: must be given once")
    return values[0] if values else None
