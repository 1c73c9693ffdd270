"""What the webhook endpoint and delivery-log queries return: typed, immutable records
(named tuples: see profiles/records.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple


class WebhookEndpoint(NamedTuple):
    """A stored webhook_endpoint row (docs/reference/webhooks.md §2). The secrets are as stored: sealed."""

    id: str
    organization_id: str
    name: str
    description: str
    url: str
    enabled_events: list[str]
    state: str  # "enabled" or "disabled"
    disabled_reason: str
    signing_secret: str
    previous_signing_secret: str | None
    previous_secret_expires_at: datetime | None
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> WebhookEndpoint:
        """The record of a row holding every column of webhook_endpoint (other columns are ignored)."""
        return cls._make([row[name] for name in cls._fields])


class WebhookDelivery(NamedTuple):
    """A stored webhook_delivery row (docs/reference/webhooks.md §7)."""

    id: str
    organization_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str  # pending, succeeded, failed, cancelled
    attempt_count: int
    budget_start: int
    next_attempt_at: datetime | None
    lease_expires_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    # The endpoint's URL, when the query joined it in (the delivery log's pages); None otherwise.
    endpoint_url: str | None = None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> WebhookDelivery:
        """The record of a row holding every column of webhook_delivery, and perhaps `endpoint_url`."""
        return cls._make([*[row[name] for name in _DELIVERY_COLUMNS], row.get("endpoint_url")])


_DELIVERY_COLUMNS = WebhookDelivery._fields[:-1]  # all but endpoint_url
