"""The transactional outbox: events are stored with the change that caused them (docs/reference/webhooks.md §6).

`record` runs inside the caller's unit of work, so a rolled-back change leaves no event and a
committed change always has its events and one pending delivery per subscribed, enabled endpoint.

Lock order. Disabling or deleting an endpoint locks its row (FOR UPDATE) and then its deliveries;
recording an attempt does the same. `record` comes after whatever the change itself locked (the
profile row, say) and share-locks the organization's enabled endpoints, in ID order, before it
inserts deliveries. So it waits for an endpoint being disabled or deleted and then sees the
outcome: no delivery for an endpoint disabled meanwhile, none referring to a deleted one. Those
transactions in turn wait for it, and then cancel or delete the delivery it committed. No
transaction that locks an endpoint goes on to wait for a profile, and any that locks several
endpoints (resealing secrets) takes them in ID order as well, so the waits cannot form a cycle.
SQLite serialises writers, so it needs (and renders) no row locks.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import Connection, insert, select

from uprof.ids import new_id
from uprof.timestamps import format_timestamp
from uprof.webhooks.models import webhook_delivery, webhook_endpoint, webhook_event
from uprof.webhooks.wakeup import note_new_work

PROGRAM_STATUS_UPDATED = "user_profile.program_status_updated"
ENFORCEMENT_ACTION_OPENED = "user_profile.enforcement_action_opened"
ENFORCEMENT_ACTION_RESOLVED = "user_profile.enforcement_action_resolved"
EXTERNAL_KEY_FAILED = "external_key.failed"
EXTERNAL_KEY_RECOVERED = "external_key.recovered"


def record(
    connection: Connection,
    organization_id: str,
    event_type: str,
    profile_id: str,
    now: datetime,
    *,
    enforcement_action_id: str | None = None,
) -> str:
    """Store one event and its deliveries; return the event ID."""
    data: dict[str, str] = {"type": event_type, "id": profile_id}
    if enforcement_action_id is not None:
        data["enforcement_action_id"] = enforcement_action_id
    data["organization_id"] = organization_id
    return _store(connection, organization_id, event_type, data, now, profile_id)


def record_external_key_event(
    connection: Connection, organization_id: str, event_type: str, key_id: str, profile_id: str | None, now: datetime
) -> str:
    """Store an `external_key.*` event (`data.id` is the key) and its deliveries; return the event ID.
    A key bound to a profile files the event under that profile, so its console page lists it."""
    data = {"type": event_type, "id": key_id, "organization_id": organization_id}
    return _store(connection, organization_id, event_type, data, now, profile_id)


def _store(
    connection: Connection,
    organization_id: str,
    event_type: str,
    data: dict[str, str],
    now: datetime,
    profile_id: str | None,
) -> str:
    event_id = new_id("event_")
    body = orjson.dumps({"type": "event", "id": event_id, "created_at": format_timestamp(now), "data": data})
    connection.execute(
        insert(webhook_event).values(
            id=event_id,
            organization_id=organization_id,
            type=event_type,
            body=body.decode(),
            created_at=now,
            user_profile_id=profile_id,
        )
    )
    endpoints = connection.execute(
        select(webhook_endpoint.c.id, webhook_endpoint.c.enabled_events)
        .where(webhook_endpoint.c.organization_id == organization_id, webhook_endpoint.c.state == "enabled")
        .order_by(webhook_endpoint.c.id)
        .with_for_update(read=True)  # FOR SHARE: see "Lock order" above
    )
    deliveries = [
        {
            "id": new_id("whdel_"),
            "organization_id": organization_id,
            "endpoint_id": endpoint.id,
            "event_id": event_id,
            "event_type": event_type,
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint in endpoints
        if event_type in endpoint.enabled_events
    ]
    if deliveries:
        connection.execute(insert(webhook_delivery), deliveries)
        note_new_work(connection)
    return event_id
