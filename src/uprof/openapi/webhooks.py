"""JSON Schemas of webhook endpoint management (docs/reference/webhooks.md §2–§3: the shapes of anthropic 2.14.0's
`beta.organization.webhooks`) and of the delivery log (§7), and the operations that use them."""

from __future__ import annotations

from typing import Any

from uprof.openapi.schemas import (
    NULLABLE_TEXT,
    NULLABLE_TIMESTAMP,
    TIMESTAMP,
    closed,
    enum,
    identifier,
    listing_parameters,
    page,
    query,
    ref,
)
from uprof.webhooks.schemas import DELIVERY_STATUSES, EVENT_TYPES, MAX_DESCRIPTION, MAX_NAME, MAX_URL, STATES

ENDPOINTS = "/v1/organizations/webhooks"
ENDPOINT = ENDPOINTS + "/{webhook_endpoint_id}"
DELIVERIES = "/v1/admin/webhook_deliveries"
DELIVERY = DELIVERIES + "/{delivery_id}"

NAME = {"type": "string", "maxLength": MAX_NAME}
DESCRIPTION = {"type": "string", "maxLength": MAX_DESCRIPTION}
EVENTS = {"type": "array", "items": enum(EVENT_TYPES)}
ENDPOINT_FIELDS: dict[str, Any] = {
    "id": identifier("whep_"),
    "name": NAME,
    "description": DESCRIPTION,
    "url": {"type": "string", "minLength": 1, "maxLength": MAX_URL},
    "enabled_events": {**EVENTS, "minItems": 1, "uniqueItems": True},
    "state": enum(STATES),
    # A string in the SDK: "" or why uprof disabled the endpoint ("consecutive_delivery_failures").
    "disabled_reason": {"type": "string"},
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}
SIGNING_SECRET = {"type": "string", "pattern": "^whsec_[A-Za-z0-9+/]+={0,2}$"}

# Request bodies (docs/reference/webhooks.md §3.1). The scheme is matched case-insensitively, as the server parses it;
# plain http is accepted only for loopback hosts (or any host under --webhook-allow-http).
URL_REQUEST = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_URL,
    "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^#\\x00-\\x20\\x7f-\\x9f]+$",
    "description": "Absolute https URL with a host, no user info, no fragment, whose host is not a "
    "non-public address (loopback, private, link-local, …: a 400 naming `url`).",
    "examples": ["https://platform.example.com/hooks/uprof"],
}
# Duplicate event types are accepted and collapse into one.
CREATE_BODY = closed(
    {"url": URL_REQUEST, "enabled_events": {**EVENTS, "minItems": 1}, "name": NAME, "description": DESCRIPTION},
    required=["url", "enabled_events"],
)
UPDATE_BODY = closed(
    {
        "url": URL_REQUEST,
        "enabled_events": {**EVENTS, "description": "`[]` leaves the set unchanged."},
        "name": NAME,
        "description": DESCRIPTION,
        "state": enum(STATES),
    },
    required=[],
)
NO_FIELDS = closed({})

ATTEMPT = closed(
    {
        "number": {"type": "integer", "minimum": 1},
        "started_at": TIMESTAMP,
        "duration_ms": {"type": "integer", "minimum": 0},
        "status_code": {"type": ["integer", "null"], "minimum": 100, "maximum": 999},
        # timeout, connection_error, tls_error, dns_error, secret_unreadable or address_not_allowed
        # when no HTTP answer came (docs/reference/webhooks.md §6).
        "error": NULLABLE_TEXT,
        "response_excerpt": NULLABLE_TEXT,
    }
)
DELIVERY_FIELDS: dict[str, Any] = {
    "id": identifier("whdel_"),
    "type": {"const": "webhook_delivery"},
    "endpoint_id": identifier("whep_"),
    "event_id": identifier("event_"),
    "event_type": enum(EVENT_TYPES),
    "status": enum(DELIVERY_STATUSES),
    "attempt_count": {"type": "integer", "minimum": 0},
    "next_attempt_at": NULLABLE_TIMESTAMP,
    "created_at": TIMESTAMP,
}

COMPONENTS: dict[str, dict[str, Any]] = {
    "WebhookEndpoint": closed(ENDPOINT_FIELDS),
    "NewWebhookEndpoint": closed({**ENDPOINT_FIELDS, "signing_secret": SIGNING_SECRET}),
    "WebhookEndpointList": closed(
        {
            "data": {"type": "array", "items": ref("WebhookEndpoint")},
            "has_more": {"type": "boolean"},
            "first_id": NULLABLE_TEXT,
            "last_id": NULLABLE_TEXT,
        }
    ),
    "DeletedWebhookEndpoint": closed({"id": identifier("whep_"), "type": {"const": "webhook_endpoint_deleted"}}),
    "WebhookEndpointSigningSecret": closed({"signing_secret": SIGNING_SECRET}),
    "WebhookEndpointCreateBody": CREATE_BODY,
    "WebhookEndpointUpdateBody": UPDATE_BODY,
    "WebhookDelivery": closed(DELIVERY_FIELDS),
    "WebhookDeliveryWithAttempts": closed({**DELIVERY_FIELDS, "attempts": {"type": "array", "items": ATTEMPT}}),
    "WebhookDeliveryList": page(ref("WebhookDelivery")),
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    (ENDPOINTS, "POST"): {
        "summary": "Create a webhook endpoint",
        "body": ref("WebhookEndpointCreateBody"),
        "ok": ref("NewWebhookEndpoint"),
    },
    (ENDPOINTS, "GET"): {
        "summary": "List webhook endpoints",
        "ok": ref("WebhookEndpointList"),
        "parameters": [
            query("limit", {"type": "integer", "minimum": 0, "maximum": 100, "default": 20}, "Page size (0 = 20)."),
            query("order", {"enum": ["asc", "desc"], "default": "desc"}, "By creation time."),
            query("after_id", {"type": "string"}, "Endpoints after this one (not with before_id)."),
            query("before_id", {"type": "string"}, "Endpoints before this one (not with after_id)."),
        ],
    },
    (ENDPOINT, "GET"): {"summary": "Retrieve a webhook endpoint", "ok": ref("WebhookEndpoint")},
    (ENDPOINT, "POST"): {
        "summary": "Update a webhook endpoint",
        "body": ref("WebhookEndpointUpdateBody"),
        "ok": ref("WebhookEndpoint"),
    },
    (ENDPOINT, "DELETE"): {"summary": "Delete a webhook endpoint", "ok": ref("DeletedWebhookEndpoint")},
    (ENDPOINT + "/regenerate_signing_secret", "POST"): {
        "summary": "Regenerate a webhook endpoint's signing secret",
        "body": NO_FIELDS,
        "ok": ref("WebhookEndpointSigningSecret"),
    },
    (DELIVERIES, "GET"): {
        "summary": "List webhook deliveries",
        "ok": ref("WebhookDeliveryList"),
        "parameters": [
            *listing_parameters(None),
            query("endpoint_id", {"type": "string"}, "Only this endpoint's deliveries."),
            query("status", {"type": "array", "items": enum(DELIVERY_STATUSES)}, "These statuses (repeatable)."),
            query("event_type", enum(EVENT_TYPES), "Only events of this type."),
            query("event_id", {"type": "string"}, "Only this event's deliveries."),
        ],
    },
    (DELIVERY, "GET"): {"summary": "Retrieve a webhook delivery", "ok": ref("WebhookDeliveryWithAttempts")},
    (DELIVERY + "/retry", "POST"): {
        "summary": "Retry a webhook delivery",
        "body": NO_FIELDS,
        "ok": ref("WebhookDeliveryWithAttempts"),
    },
}
