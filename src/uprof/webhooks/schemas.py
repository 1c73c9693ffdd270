"""Validation of webhook requests (docs/reference/webhooks.md §3.1, §3.3, §7); the output is plain values for the
services.

Each body reports its first problem in the order of the field table: `url`, `enabled_events`,
`name`, `description`, `state`, then unknown fields.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from uprof.http.errors import InvalidRequest, one_of, quote
from uprof.http.query import choice, choices, limit, single
from uprof.webhooks.egress import EgressPolicy

EVENT_TYPES = (
    "user_profile.program_status_updated",
    "user_profile.enforcement_action_opened",
    "user_profile.enforcement_action_resolved",
    "external_key.failed",
    "external_key.recovered",
    "external_storage.failed",
    "external_storage.recovered",
)
STATES = ("enabled", "disabled")
DELIVERY_STATUSES = ("pending", "succeeded", "failed", "cancelled")
MAX_URL = 2048
MAX_NAME = 255
MAX_DESCRIPTION = 1000
DEFAULT_PAGE_SIZE = 20

URL_PROBLEM = "url: must be an absolute https URL"
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")


@dataclass(frozen=True)
class NewEndpoint:
    url: str
    enabled_events: list[str]
    name: str
    description: str


def new_endpoint(body: Mapping[str, Any], *, allow_http: bool, egress: EgressPolicy | None = None) -> NewEndpoint:
    """The body of `POST /v1/organizations/webhooks`; raises InvalidRequest naming the first problem."""
    url = parse_url(body.get("url"), allow_http=allow_http, egress=egress)
    events = _events(body.get("enabled_events"))
    name = _text(body, "name", MAX_NAME) or ""
    description = _text(body, "description", MAX_DESCRIPTION) or ""
    _only(body, ("url", "enabled_events", "name", "description"))
    return NewEndpoint(url, events, name, description)


def endpoint_changes(
    body: Mapping[str, Any], *, allow_http: bool, egress: EgressPolicy | None = None
) -> dict[str, Any]:
    """The fields an update sends, validated; `enabled_events: []` means no change and is dropped."""
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = parse_url(body["url"], allow_http=allow_http, egress=egress)
    if "enabled_events" in body:
        value = body["enabled_events"]
        if value != []:
            changes["enabled_events"] = _events(value)
    for field, longest in (("name", MAX_NAME), ("description", MAX_DESCRIPTION)):
        if field in body:
            changes[field] = _text(body, field, longest)
    if "state" in body:
        if body["state"] not in STATES:
            raise InvalidRequest(f"state: {one_of(STATES)}")
        changes["state"] = body["state"]
    _only(body, ("url", "enabled_events", "name", "description", "state"))
    return changes


def no_fields(body: Mapping[str, Any]) -> None:
    """A body that takes no fields (regenerate, retry): `{}` or empty."""
    _only(body, ())


def parse_url(value: Any, *, allow_http: bool, egress: EgressPolicy | None = None) -> str:
    """An absolute https URL with a host, no user info and no fragment; http only for loopback
    hosts unless `allow_http`; with `egress`, not a literal address (or `localhost`) it refuses."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL:
        raise InvalidRequest(URL_PROBLEM)
    if _SPACE_OR_CONTROL.search(value) or "#" in value:
        raise InvalidRequest(URL_PROBLEM)
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise InvalidRequest(URL_PROBLEM) from None
    if not host or "@" in parts.netloc:
        raise InvalidRequest(URL_PROBLEM)
    if not (parts.scheme == "https" or (parts.scheme == "http" and (allow_http or is_loopback(host)))):
        raise InvalidRequest(URL_PROBLEM)
    refused = None if egress is None else egress.refusal(host)
    if refused is not None:
        raise InvalidRequest(f"url: the host is a {refused} address, which webhook deliveries may not reach")
    return value


def is_loopback(host: str) -> bool:
    """`localhost`, an address in 127.0.0.0/8, or `::1`."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address in _LOOPBACK_V4 if address.version == 4 else address == ipaddress.IPv6Address("::1")


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest("enabled_events: must list at least one event type")
    for index, item in enumerate(value):
        if item not in EVENT_TYPES:
            raise InvalidRequest(f"enabled_events[{index}]: {one_of(EVENT_TYPES)}")
    return list(dict.fromkeys(value))


def _text(body: Mapping[str, Any], field: str, limit: int) -> str | None:
    if field not in body:
        return None
    value = body[field]
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRequest(f"{field}: must be a string of at most {limit} characters")
    return value


def _only(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise InvalidRequest(f"{quote(key)}: unknown field")


# --- queries ---


@dataclass(frozen=True)
class EndpointListQuery:
    limit: int
    descending: bool
    after_id: str | None
    before_id: str | None


def endpoint_list_query(params: Any) -> EndpointListQuery:
    """`limit` (0–100, 0 or absent = 20), `order`, and at most one of `after_id` / `before_id`."""
    size = limit(params, lowest=0, default=0)
    order = choice(params, "order", ("asc", "desc")) or "desc"
    after_id = _id(single(params, "after_id"))
    before_id = _id(single(params, "before_id"))
    if after_id is not None and before_id is not None:
        raise InvalidRequest("before_id: cannot be combined with after_id")
    return EndpointListQuery(size or DEFAULT_PAGE_SIZE, order == "desc", after_id, before_id)


@dataclass(frozen=True)
class DeliveryFilters:
    endpoint_id: str | None
    statuses: list[str]
    event_type: str | None
    event_id: str | None


def delivery_filters(params: Any) -> DeliveryFilters:
    """Filters of `GET /v1/admin/webhook_deliveries`; `status` may repeat."""
    return DeliveryFilters(
        endpoint_id=_id(single(params, "endpoint_id")),
        statuses=choices(params, "status", DELIVERY_STATUSES),
        event_type=choice(params, "event_type", EVENT_TYPES),
        event_id=_id(single(params, "event_id")),
    )


def _id(value: str | None) -> str | None:
    """An ID from the query; empty counts as absent (U+0000 never gets here: http/query.py refuses it)."""
    return value or None
