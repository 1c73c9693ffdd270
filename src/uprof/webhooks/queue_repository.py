"""Every query the dispatcher runs: claiming due deliveries under a lease, recording attempts, cleanup.

A claim sets `lease_expires_at`; the exact value is the claim's token. Only the holder of the
token may record the attempt or release the lease, so a worker whose lease ran out (and whose
delivery another worker has claimed since) changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, exists, insert, or_, select, text, true, update

from uprof.webhooks.models import webhook_attempt as attempt
from uprof.webhooks.models import webhook_delivery as delivery
from uprof.webhooks.models import webhook_endpoint as endpoint
from uprof.webhooks.models import webhook_event as event

# Any fixed 64-bit number: the key of the PostgreSQL advisory lock that one maintenance pass holds.
_MAINTENANCE_LOCK = 0x7570726F66_01


def _due(now: datetime) -> Any:
    return and_(
        delivery.c.status == "pending",
        delivery.c.next_attempt_at <= now,
        or_(delivery.c.lease_expires_at.is_(None), delivery.c.lease_expires_at <= now),
    )


def _not_of(organizations: Collection[str]) -> Any:
    return endpoint.c.organization_id.not_in(list(organizations)) if organizations else true()


def any_due(connection: Connection, now: datetime, skip: Collection[str] = ()) -> bool:
    """Whether a delivery is due, leaving out those of the organizations in `skip`."""
    query = select(delivery.c.id).join(endpoint, endpoint.c.id == delivery.c.endpoint_id)
    return connection.scalar(query.where(_due(now), _not_of(skip)).limit(1)) is not None


@dataclass(frozen=True)
class Shares:
    """How many attempts each organization has in flight, and how many it may have (fair dispatch)."""

    in_flight: Mapping[str, int]
    per_organization: int

    def full(self) -> list[str]:
        return [org for org, count in self.in_flight.items() if count >= self.per_organization]

    def within(self, rows: Sequence[Any]) -> list[Any]:
        """The rows, in order, that keep each organization within its share."""
        counts, kept = Counter(self.in_flight), []
        for row in rows:
            if counts[row.organization_id] < self.per_organization:
                counts[row.organization_id] += 1
                kept.append(row)
        return kept


def claim(
    connection: Connection, now: datetime, lease: datetime, limit: int, shares: Shares | None = None
) -> list[Row[Any]]:
    """Lease up to `limit` due deliveries until `lease`; return them with their event and endpoint.
    With `shares`, no organization gets more than its share: the deliveries of those already at it
    are not looked at, and a claim takes no more of one organization than its share leaves.

    A due delivery whose endpoint is not enabled is cancelled instead, as disabling would have
    (docs/reference/webhooks.md §3.2). None should exist — disabling cancels what is pending and the outbox
    creates nothing for a disabled endpoint — but one left behind must never be sent.

    PostgreSQL skips rows another transaction has locked, and locks only the deliveries, never an
    endpoint (whose lock comes first in every transaction that takes both: outbox.py). On SQLite
    the write transaction (`BEGIN IMMEDIATE`) already excludes every other writer, and the
    updates re-check that the deliveries are still due.
    """
    due = (
        select(delivery.c.id, endpoint.c.state, endpoint.c.organization_id)
        .join(endpoint, endpoint.c.id == delivery.c.endpoint_id)
        .where(_due(now), _not_of(shares.full() if shares else ()))
        .order_by(delivery.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=delivery)
    )
    rows = list(connection.execute(due))
    stray = [row.id for row in rows if row.state != "enabled"]
    if stray:
        cancelled = {"status": "cancelled", "next_attempt_at": None, "finished_at": now}
        connection.execute(update(delivery).where(delivery.c.id.in_(stray), _due(now)).values(cancelled))
    enabled = [row for row in rows if row.state == "enabled"]
    ids = [row.id for row in (shares.within(enabled) if shares else enabled)]
    if not ids:
        return []
    connection.execute(update(delivery).where(delivery.c.id.in_(ids), _due(now)).values(lease_expires_at=lease))
    return leased(connection, ids, lease)


def leased(connection: Connection, ids: Sequence[str], lease: datetime) -> list[Row[Any]]:
    """The deliveries among `ids` that hold `lease`, each with what an attempt needs of its event and
    endpoint (the row attempts.claim_of reads): the dispatcher's claim and the test double's flush."""
    query = (
        select(
            delivery.c.id,
            delivery.c.endpoint_id,
            endpoint.c.organization_id,
            delivery.c.event_id,
            event.c.body,
            endpoint.c.url,
            endpoint.c.signing_secret,
            endpoint.c.previous_signing_secret,
            endpoint.c.previous_secret_expires_at,
        )
        .join(event, event.c.id == delivery.c.event_id)
        .join(endpoint, endpoint.c.id == delivery.c.endpoint_id)
        .where(delivery.c.id.in_(ids), delivery.c.lease_expires_at == lease)
    )
    return list(connection.execute(query))


def lock_endpoint(connection: Connection, endpoint_id: str) -> Row[Any] | None:
    # Endpoint before delivery, the order every other writer takes them in, so no deadlock.
    return connection.execute(select(endpoint).where(endpoint.c.id == endpoint_id).with_for_update()).first()


def leased_delivery(connection: Connection, delivery_id: str, lease: datetime) -> Row[Any] | None:
    """The delivery if the claim holding `lease` still owns it, locked."""
    query = select(delivery).where(delivery.c.id == delivery_id, delivery.c.lease_expires_at == lease)
    return connection.execute(query.with_for_update()).first()


def insert_attempt(connection: Connection, **values: Any) -> None:
    connection.execute(insert(attempt).values(**values))


def update_delivery(connection: Connection, delivery_id: str, values: dict[str, Any]) -> None:
    connection.execute(update(delivery).where(delivery.c.id == delivery_id).values(values))


def add_failure(connection: Connection, endpoint_id: str) -> int:
    """Count one more delivery given up in a row; return the new count."""
    counter = endpoint.c.consecutive_failures
    connection.execute(update(endpoint).where(endpoint.c.id == endpoint_id).values(consecutive_failures=counter + 1))
    return int(connection.scalar(select(counter).where(endpoint.c.id == endpoint_id)) or 0)


def reset_failures(connection: Connection, endpoint_id: str) -> None:
    connection.execute(
        update(endpoint)
        .where(endpoint.c.id == endpoint_id, endpoint.c.consecutive_failures != 0)
        .values(consecutive_failures=0)
    )


def release(connection: Connection, delivery_ids: Sequence[str], lease: datetime) -> None:
    """Give up leases still held under `lease`, so any worker may attempt those deliveries at once."""
    connection.execute(
        update(delivery)
        .where(delivery.c.id.in_(delivery_ids), delivery.c.lease_expires_at == lease)
        .values(lease_expires_at=None)
    )


def try_maintenance_lock(connection: Connection) -> bool:
    """On PostgreSQL, whether this transaction is the one maintenance pass running now (SQLite's
    write transactions are serial already)."""
    if connection.dialect.name != "postgresql":
        return True
    return bool(connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _MAINTENANCE_LOCK}))


def purge_finished(connection: Connection, cutoff: datetime, batch: int) -> int:
    """Delete up to `batch` deliveries (and their attempts) that reached a final state before `cutoff`."""
    finished = delivery.c.status.in_(("succeeded", "failed", "cancelled"))
    ids = list(connection.scalars(select(delivery.c.id).where(finished, delivery.c.finished_at < cutoff).limit(batch)))
    if ids:
        connection.execute(delete(attempt).where(attempt.c.delivery_id.in_(ids)))
        connection.execute(delete(delivery).where(delivery.c.id.in_(ids)))
    return len(ids)


def purge_events(connection: Connection, cutoff: datetime, batch: int) -> int:
    """Delete up to `batch` events older than `cutoff` that no delivery refers to any more."""
    referenced = exists().where(delivery.c.event_id == event.c.id)
    query = select(event.c.id).where(event.c.created_at < cutoff, ~referenced).limit(batch)
    ids = list(connection.scalars(query))
    if ids:
        connection.execute(delete(event).where(event.c.id.in_(ids)))
    return len(ids)
