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

from uprof.http import query
from uprof.http.errors import InvalidRequest, member_path, one_of
from uprof.http.fields import COUNTRY_CODE, Choice, Text
from uprof.http.revision_choice import Revision
from uprof.profiles import revisions

MAX_FUTURE = timedelta(seconds=60)

# The profile's fields, declared once: these checks, the import's (portability/profile_validation.py)
# and the OpenAPI schemas (openapi/schemas.py) all read them.
ACCESS_TYPES = ("application", "passthrough")
ACCOUNT_STATUSES = ("active", "suspended", "blocked")
ENTITY_TYPES = ("individual", "business", "non_profit", "government")
ENFORCEMENT_STATUSES = ("unrestricted", "pending", "restricted", "banned")
RELATIONSHIPS = ("external", "resold")
RELATIONSHIP_TO_ACCESS_TYPE = dict(zip(RELATIONSHIPS, ACCESS_TYPES, strict=True))
TEXT = Text(1, 255)  # name, external_id and the free-text details
DETAILS: dict[str, Text | Choice] = {
    "account_status": Choice(ACCOUNT_STATUSES),
    "country": COUNTRY_CODE,
    "email_hash": TEXT,
    "entity_type": Choice(ENTITY_TYPES),
    "name_hash": TEXT,
    "reference_id": TEXT,
}  # and onboarded_at, a timestamp
MAX_METADATA_KEYS = 16
METADATA_KEY = Text(1, 64)
METADATA_VALUE = Text(0, 512)  # "" removes a key on update, and is refused on create
MAX_METADATA_KEY_LENGTH = METADATA_KEY.longest or 0
MAX_METADATA_VALUE_LENGTH = METADATA_VALUE.longest or 0

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII
)


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
    problem = TEXT.problem(value)
    if problem is not None:
        raise InvalidRequest(f"{path}: {problem}")
    return value


def _set_access_type(values: dict[str, Any], value: Any, path: str, creating: bool) -> None:
    if value is None and not creating:
        return  # null on update means unchanged
    if path == "relationship":
        if value == "internal":
            raise InvalidRequest("relationship: internal is not supported; use external or resold")
        if not isinstance(value, str) or value not in RELATIONSHIP_TO_ACCESS_TYPE:
            raise InvalidRequest(f"relationship: {one_of(RELATIONSHIPS)}")
        values["access_type"] = RELATIONSHIP_TO_ACCESS_TYPE[value]
    else:
        if value not in ACCESS_TYPES:
            raise InvalidRequest(f"access_type: {one_of(ACCESS_TYPES)}")
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
DETAIL_KEYS = tuple(sorted([*DETAILS, "onboarded_at"]))


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
    problem = DETAILS[key].problem(item)
    if problem is not None:
        raise InvalidRequest(f"{path}: {problem}")
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
    limit = query.limit(params)
    order = query.choice(params, "order", ("asc", "desc")) or "desc"
    order_by = query.choice(params, "order_by", ("created_at", "name"))
    page = query.single(params, "page")
    if page == "":
        raise InvalidRequest("page: not a valid cursor")
    statuses = params.getlist("enforcement_status") + params.getlist("enforcement_status[]")
    filter_values: frozenset[str] | None = None
    if statuses:
        revisions.check_query_accepted("enforcement_status", revision)
        for status in statuses:
            if status not in ENFORCEMENT_STATUSES:
                raise InvalidRequest(f"enforcement_status: {one_of(ENFORCEMENT_STATUSES)}")
        filter_values = frozenset(statuses)
    return ListQuery(limit, order, order_by or "created_at", page, filter_values)
