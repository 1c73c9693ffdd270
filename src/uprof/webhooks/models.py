"""Tables of webhook delivery: endpoints, the event outbox, deliveries and their attempts
(docs/reference/webhooks.md)."""

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from uprof.db.base import metadata
from uprof.db.columns import Timestamp, code_point_string

webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("id", code_point_string(29), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(1000), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("enabled_events", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # "enabled" or "disabled"
    Column("disabled_reason", String(64), nullable=False),
    # The secret signs every attempt, so it must be recoverable: it is stored encrypted (a Fernet
    # token, crypto/sealing.py). After a regeneration the previous one keeps signing until the
    # end of the overlap window.
    Column("signing_secret", Text, nullable=False),
    Column("previous_signing_secret", Text, nullable=True),
    Column("previous_secret_expires_at", Timestamp, nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index(None, "organization_id", "created_at", "id"),
)

webhook_event = Table(
    "webhook_event",
    metadata,
    Column("id", code_point_string(30), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the exact bytes every attempt sends
    Column("created_at", Timestamp, nullable=False),
    # The profile the event is about (`data.id` of the body), so the console finds a profile's
    # deliveries by index. Every event has one; the column is nullable only because it was added
    # to a table that already held events (migration 0008 fills those in).
    Column("user_profile_id", code_point_string(30), nullable=True),
    Index(None, "organization_id", "user_profile_id"),
)

webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("id", code_point_string(30), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("endpoint_id", String(29), ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(30), ForeignKey("webhook_event.id"), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending, succeeded, failed, cancelled
    Column("attempt_count", Integer, nullable=False),
    # attempt_count when the current attempt budget began: 0, or its value at the last manual
    # retry. Attempts keep their numbers across retries; the budget and back-off count from here.
    Column("budget_start", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Timestamp, nullable=True),
    # Set while one dispatcher owns the delivery; the exact value doubles as that claim's token.
    Column("lease_expires_at", Timestamp, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp, nullable=True),
    Index(None, "status", "next_attempt_at"),
    Index(None, "organization_id", "created_at", "id"),
    Index(None, "endpoint_id"),
    Index(None, "event_id"),
)

webhook_attempt = Table(
    "webhook_attempt",
    metadata,
    Column("delivery_id", String(30), ForeignKey("webhook_delivery.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("started_at", Timestamp, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(32), nullable=True),
    Column("response_excerpt", Text, nullable=True),
)
