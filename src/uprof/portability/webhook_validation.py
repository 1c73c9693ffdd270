"""Checks of the webhook records of an import: endpoints with their secrets, events, deliveries with attempts."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from uprof.crypto.sealing import SECRET_BYTES, SECRET_PREFIX
from uprof.http.errors import InvalidRequest
from uprof.portability.fields import Fields, Invalid, check_integer, check_object, check_text, check_time, one_of
from uprof.portability.references import Facts, Rows, Seen, organization_of
from uprof.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event
from uprof.webhooks.schemas import DELIVERY_STATUSES, EVENT_TYPES, MAX_DESCRIPTION, MAX_NAME, STATES, parse_url
from uprof.webhooks.service import MAX_ENDPOINTS

MAX_DISABLED_REASON = 64
MAX_ATTEMPT_ERROR = 32
MAX_COUNT = 2**31 - 1
PROFILE_ID_LENGTH = 30  # webhook_event.user_profile_id, as long as user_profile.id


def parse_webhook_endpoint(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "name", "description", "url", "enabled_events", "state", "disabled_reason")
    secrets = ("signing_secret", "previous_signing_secret", "previous_secret_expires_at", "consecutive_failures")
    fields = Fields(record, (*names, "created_at", "updated_at", *secrets))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "whep_", webhook_endpoint)
    if identifier in seen.endpoints:
        raise Invalid(f"id: {identifier} appears twice")
    if seen.endpoints_per_organization[organization_id] >= MAX_ENDPOINTS:
        raise Invalid(f"organization_id: the organization already has {MAX_ENDPOINTS} webhook endpoints, the maximum")
    previous = fields.raw("previous_signing_secret")
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "name": fields.text("name", 0, MAX_NAME),
        "description": fields.text("description", 0, MAX_DESCRIPTION),
        "url": _url(fields.raw("url")),
        "enabled_events": _events(fields.raw("enabled_events")),
        "state": fields.choice("state", STATES),
        "disabled_reason": fields.text("disabled_reason", 0, MAX_DISABLED_REASON),
        "signing_secret": _secret(fields.raw("signing_secret"), "signing_secret"),
        "previous_signing_secret": None if previous is None else _secret(previous, "previous_signing_secret"),
        "previous_secret_expires_at": fields.optional_time("previous_secret_expires_at"),
        "consecutive_failures": fields.integer("consecutive_failures", 0, MAX_COUNT),
        "created_at": fields.time("created_at"),
        "updated_at": fields.time("updated_at"),
    }
    seen.endpoints[identifier] = organization_id
    seen.endpoints_per_organization[organization_id] += 1
    return [(webhook_endpoint, row)]


def _url(value: Any) -> str:
    # The endpoint may have been created by a server running with --webhook-allow-http.
    try:
        return parse_url(value, allow_http=True)
    except InvalidRequest as error:
        raise Invalid(error.message) from None


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid("enabled_events: must list at least one event type")
    for index, item in enumerate(value):
        if item not in EVENT_TYPES:
            raise Invalid(f"enabled_events[{index}]: {one_of(EVENT_TYPES)}")
    if len(set(value)) != len(value):
        raise Invalid("enabled_events: lists an event type twice")
    return value


def _secret(value: Any, path: str) -> str:
    """`whsec_` + standard base64 (with padding) of 32 bytes (docs/reference/webhooks.md §5.2)."""
    try:
        valid = isinstance(value, str) and value.startswith(SECRET_PREFIX)
        valid = valid and len(base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)) == SECRET_BYTES
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise Invalid(f"{path}: must be whsec_ followed by the base64 of {SECRET_BYTES} bytes")
    return str(value)


def parse_webhook_event(record: Mapping[str, Any], seen: Seen) -> Rows:
    fields = Fields(record, ("organization_id", "id", "created_at", "type", "body"))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "event_", webhook_event)
    # The type as written: it is checked next, and a record that fails a check ends the import.
    seen.claim(webhook_event, identifier, organization_id=organization_id, type=fields.raw("type"))
    event_type = fields.choice("type", EVENT_TYPES)
    body = fields.raw("body")
    try:
        envelope = orjson.loads(body) if isinstance(body, str) else None
    except orjson.JSONDecodeError:
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("type") != "event" or envelope.get("id") != identifier:
        raise Invalid("body: must be the JSON text of the event's envelope, with its ID")
    # The profile the event is about, for the console's per-profile delivery list (none if absent).
    data = envelope.get("data")
    profile_id = data.get("id") if isinstance(data, dict) else None
    # An `external_key.*` event is about a key (docs/data_controls.md §5); it is filed under no profile.
    if isinstance(event_type, str) and event_type.startswith("external_key."):
        if not (isinstance(profile_id, str) and profile_id.startswith("ekey_")):
            raise Invalid("body: data.id must be an External Key ID")
        profile_id = None
    if profile_id is not None and not (
        isinstance(profile_id, str) and profile_id.startswith("uprof_") and len(profile_id) <= PROFILE_ID_LENGTH
    ):
        raise Invalid("body: data.id must be a user profile ID")
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "type": event_type,
        "body": body,
        "created_at": fields.time("created_at"),
        "user_profile_id": profile_id,
    }
    return [(webhook_event, row)]


def parse_webhook_delivery(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "type", "endpoint_id", "event_id", "event_type", "status", "attempt_count")
    fields = Fields(record, (*names, "budget_start", "next_attempt_at", "created_at", "finished_at", "attempts"))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "whdel_", webhook_delivery)
    seen.claim(webhook_delivery, identifier)
    fields.constant("type", "webhook_delivery")
    endpoint_id = fields.raw("endpoint_id")
    if not isinstance(endpoint_id, str) or seen.endpoints.get(endpoint_id) != organization_id:
        raise Invalid("endpoint_id: no webhook endpoint with this ID in the organization earlier in the file")
    event_id, event_type = fields.raw("event_id"), fields.raw("event_type")

    def problem(event: Facts | None) -> str | None:
        if event is None or event["organization_id"] != organization_id:
            return "event_id: no webhook event with this ID in the organization earlier in the file"
        return None if event_type == event["type"] else f"event_type: must be the event's type, {event['type']}"

    seen.refer(webhook_event, event_id, ("organization_id", "type"), problem)
    attempt_count = fields.integer("attempt_count", 0, MAX_COUNT)
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,  # the event's type, once `problem` passes
        "status": fields.choice("status", DELIVERY_STATUSES),
        "attempt_count": attempt_count,
        "budget_start": fields.integer("budget_start", 0, attempt_count),
        "next_attempt_at": fields.optional_time("next_attempt_at"),
        "lease_expires_at": None,
        "created_at": fields.time("created_at"),
        "finished_at": fields.optional_time("finished_at"),
    }
    if row["status"] == "pending" and row["next_attempt_at"] is None:
        raise Invalid("next_attempt_at: must be set while the delivery is pending")
    attempts = _attempts(fields.raw("attempts"), identifier, attempt_count)
    return [(webhook_delivery, row), *((webhook_attempt, attempt) for attempt in attempts)]


def _attempts(value: Any, delivery_id: str, attempt_count: int) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) != attempt_count:
        raise Invalid(f"attempts: must list the delivery's {attempt_count} attempts")
    keys = ("number", "started_at", "duration_ms", "status_code", "error", "response_excerpt")
    rows = []
    for index, item in enumerate(value):
        path = f"attempts[{index}]"
        attempt = check_object(item, path, keys)
        if attempt["number"] != index + 1:
            raise Invalid(f"{path}.number: must be {index + 1}")
        status_code, error, excerpt = attempt["status_code"], attempt["error"], attempt["response_excerpt"]
        rows.append(
            {
                "delivery_id": delivery_id,
                "number": index + 1,
                "started_at": check_time(attempt["started_at"], f"{path}.started_at"),
                "duration_ms": check_integer(attempt["duration_ms"], f"{path}.duration_ms", 0, MAX_COUNT),
                "status_code": None
                if status_code is None
                else check_integer(status_code, f"{path}.status_code", 100, 999),
                "error": None if error is None else check_text(error, f"{path}.error", 1, MAX_ATTEMPT_ERROR),
                "response_excerpt": None
                if excerpt is None
                else check_text(excerpt, f"{path}.response_excerpt", 0, 4096),
            }
        )
    return rows
