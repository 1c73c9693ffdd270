"""Every query on webhook endpoints and on the delivery log as the Admin API reads it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, tuple_, update

from uprof.accounts.models import organization
from uprof.webhooks.models import webhook_attempt as attempt
from uprof.webhooks.models import webhook_delivery as delivery
from uprof.webhooks.models import webhook_endpoint as endpoint
from uprof.webhooks.models import webhook_event as event
from uprof.webhooks.records import WebhookDelivery, WebhookEndpoint

# --- endpoints ---


def lock_organization(connection: Connection, organization_id: str) -> None:
    """Serialise endpoint creation per organization, so concurrent creates respect the limit."""
    connection.execute(select(organization.c.id).where(organization.c.id == organization_id).with_for_update())


def count_endpoints(connection: Connection, organization_id: str) -> int:
    query = select(func.count()).select_from(endpoint).where(endpoint.c.organization_id == organization_id)
    return int(connection.scalar(query) or 0)


def insert_endpoint(connection: Connection, **values: Any) -> None:
    connection.execute(insert(endpoint).values(**values))


def get_endpoint(
    connection: Connection, organization_id: str, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(endpoint).where(endpoint.c.id == endpoint_id, endpoint.c.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else WebhookEndpoint.of(row._mapping)


def update_endpoint(connection: Connection, endpoint_id: str, values: dict[str, Any]) -> None:
    connection.execute(update(endpoint).where(endpoint.c.id == endpoint_id).values(values))


def delete_endpoint(connection: Connection, endpoint_id: str) -> None:
    """Remove the endpoint with its whole delivery log (attempts, then deliveries, then the endpoint)."""
    deliveries = select(delivery.c.id).where(delivery.c.endpoint_id == endpoint_id)
    connection.execute(delete(attempt).where(attempt.c.delivery_id.in_(deliveries)))
    connection.execute(delete(delivery).where(delivery.c.endpoint_id == endpoint_id))
    connection.execute(delete(endpoint).where(endpoint.c.id == endpoint_id))


def endpoint_page(
    connection: Connection,
    organization_id: str,
    *,
    descending: bool,
    after: tuple[int, str] | None,
    before: tuple[int, str] | None,
    limit: int,
) -> list[WebhookEndpoint]:
    """Endpoints in list order (`created_at`, then `id`), after or before a position when given."""
    query = select(endpoint).where(endpoint.c.organization_id == organization_id)
    position = tuple_(endpoint.c.created_at, endpoint.c.id)
    if after is not None:
        query = query.where(position < tuple_(*after) if descending else position > tuple_(*after))
    if before is not None:
        query = query.where(position > tuple_(*before) if descending else position < tuple_(*before))
    if descending:
        query = query.order_by(endpoint.c.created_at.desc(), endpoint.c.id.desc())
    else:
        query = query.order_by(endpoint.c.created_at.asc(), endpoint.c.id.asc())
    return [WebhookEndpoint.of(row._mapping) for row in connection.execute(query.limit(limit))]


def stored_secrets(connection: Connection) -> list[Row[Any]]:
    """Every endpoint's ID with its two stored secret columns."""
    query = select(endpoint.c.id, endpoint.c.signing_secret, endpoint.c.previous_signing_secret)
    return list(connection.execute(query.order_by(endpoint.c.id)))


def replace_stored_secret(connection: Connection, endpoint_id: str, column: str, old: str, new: str) -> None:
    """Store `new` in the secret column if it still holds `old`: a concurrent change wins."""
    stored = endpoint.c[column]
    connection.execute(update(endpoint).where(endpoint.c.id == endpoint_id, stored == old).values({column: new}))


def cancel_pending(connection: Connection, endpoint_id: str, now: datetime) -> None:
    """Cancel the endpoint's pending deliveries. A lease stays, so an attempt in flight is still recorded."""
    connection.execute(
        update(delivery)
        .where(delivery.c.endpoint_id == endpoint_id, delivery.c.status == "pending")
        .values(status="cancelled", next_attempt_at=None, finished_at=now)
    )


# --- the delivery log ---


def delivery_page(
    connection: Connection,
    organization_id: str,
    *,
    endpoint_id: str | None,
    statuses: Sequence[str],
    event_type: str | None,
    event_id: str | None,
    after: tuple[int, str] | None,
    limit: int,
    profile_id: str | None = None,
) -> list[WebhookDelivery]:
    """Deliveries newest first (`created_at`, then `id`), filtered, after a position when given; each
    carries its endpoint's `endpoint_url`. With `profile_id`, only the deliveries of events
    about that profile (found by index through `webhook_event.user_profile_id`)."""
    query = (
        select(delivery, endpoint.c.url.label("endpoint_url"))
        .join(endpoint, endpoint.c.id == delivery.c.endpoint_id)
        .where(delivery.c.organization_id == organization_id)
    )
    if profile_id is not None:
        query = query.join(event, event.c.id == delivery.c.event_id).where(event.c.user_profile_id == profile_id)
    if endpoint_id is not None:
        query = query.where(delivery.c.endpoint_id == endpoint_id)
    if statuses:
        query = query.where(delivery.c.status.in_(statuses))
    if event_type is not None:
        query = query.where(delivery.c.event_type == event_type)
    if event_id is not None:
        query = query.where(delivery.c.event_id == event_id)
    if after is not None:
        query = query.where(tuple_(delivery.c.created_at, delivery.c.id) < tuple_(*after))
    query = query.order_by(delivery.c.created_at.desc(), delivery.c.id.desc()).limit(limit)
    return [WebhookDelivery.of(row._mapping) for row in connection.execute(query)]


def get_delivery(
    connection: Connection, organization_id: str, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery | None:
    query = select(delivery).where(delivery.c.id == delivery_id, delivery.c.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else WebhookDelivery.of(row._mapping)


def attempts_of(connection: Connection, delivery_id: str) -> list[Row[Any]]:
    query = select(attempt).where(attempt.c.delivery_id == delivery_id).order_by(attempt.c.number)
    return list(connection.execute(query))


def update_delivery(connection: Connection, delivery_id: str, values: dict[str, Any]) -> None:
    connection.execute(update(delivery).where(delivery.c.id == delivery_id).values(values))
