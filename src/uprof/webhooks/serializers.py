"""JSON views of webhook endpoints (docs/reference/webhooks.md §2) and deliveries (§7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from uprof.timestamps import format_timestamp
from uprof.webhooks.records import WebhookDelivery, WebhookEndpoint


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def endpoint_view(row: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint as `retrieve`, `list` and `update` return it: never the secret."""
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "url": row.url,
        "enabled_events": list(row.enabled_events),
        "state": row.state,
        "disabled_reason": row.disabled_reason,
        "created_at": format_timestamp(row.created_at),
        "updated_at": format_timestamp(row.updated_at),
    }


def new_endpoint_view(row: WebhookEndpoint, signing_secret: str) -> dict[str, Any]:
    """The endpoint as `create` returns it, the one time its secret (in plaintext) is shown."""
    return {**endpoint_view(row), "signing_secret": signing_secret}


def delivery_view(row: WebhookDelivery, attempts: Sequence[Mapping[Any, Any]] | None = None) -> dict[str, Any]:
    """A delivery; with `attempts` (the single-delivery view) it lists every attempt, oldest first."""
    view: dict[str, Any] = {
        "id": row.id,
        "type": "webhook_delivery",
        "endpoint_id": row.endpoint_id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempt_count": row.attempt_count,
        "next_attempt_at": _time(row.next_attempt_at),
        "created_at": format_timestamp(row.created_at),
    }
    if attempts is not None:
        view["attempts"] = [attempt_view(attempt) for attempt in attempts]
    return view


def attempt_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "number": row["number"],
        "started_at": format_timestamp(row["started_at"]),
        "duration_ms": row["duration_ms"],
        "status_code": row["status_code"],
        "error": row["error"],
        "response_excerpt": row["response_excerpt"],
    }
