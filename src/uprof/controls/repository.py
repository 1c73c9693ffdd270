"""Every query of the test double: the clock row, the journal, fault rules and an organization's reset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, delete, insert, select, update

from uprof.controls.models import test_clock, test_fault, test_request
from uprof.db.prepared import Prepared
from uprof.links.models import link
from uprof.profiles.models import user_profile
from uprof.provider.models import enrollment
from uprof.standing.models import enforcement_action, identity_check
from uprof.webhooks import queue_repository
from uprof.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event

CLOCK_ROW = 1
_JOURNAL_COLUMNS = tuple(column.key for column in test_request.columns if column.key != "seq")

# What every /v1/ request of a server with --test-controls runs: prepared (uprof.db.prepared).
_OFFSET = Prepared(select(test_clock.c.offset_micros).where(test_clock.c.id == CLOCK_ROW))
_FAULTS = Prepared(
    select(test_fault)
    .where(test_fault.c.organization_id == bindparam("b_org"), test_fault.c.remaining > 0)
    .order_by(test_fault.c.seq)
)
_INSERT_REQUEST = Prepared(insert(test_request), column_keys=_JOURNAL_COLUMNS)


def clock_offset_micros(connection: Connection) -> int:
    row = _OFFSET.first(connection, {})
    return 0 if row is None else int(row["offset_micros"])


def add_to_clock(connection: Connection, micros: int) -> int:
    """Move the stored offset forward by `micros`; return the new offset."""
    moved = connection.execute(
        update(test_clock).where(test_clock.c.id == CLOCK_ROW).values(offset_micros=test_clock.c.offset_micros + micros)
    )
    if moved.rowcount == 0:
        connection.execute(insert(test_clock).values(id=CLOCK_ROW, offset_micros=micros))
    return clock_offset_micros(connection)


def insert_request(connection: Connection, values: dict[str, Any]) -> None:
    _INSERT_REQUEST.run(connection, values)


def trim_journal(connection: Connection, organization_id: str, keep: int) -> None:
    """Delete all but the newest `keep` requests of the organization."""
    cut = connection.scalar(
        select(test_request.c.seq)
        .where(test_request.c.organization_id == organization_id)
        .order_by(test_request.c.seq.desc())
        .offset(keep)
        .limit(1)
    )
    if cut is not None:
        connection.execute(
            delete(test_request).where(test_request.c.organization_id == organization_id, test_request.c.seq <= cut)
        )


def requests(
    connection: Connection, organization_id: str, *, limit: int, method: str | None, path: str | None
) -> list[Row[Any]]:
    """The organization's journal, newest first; `path` matches the concrete path or the route template."""
    query = select(test_request).where(test_request.c.organization_id == organization_id)
    if method is not None:
        query = query.where(test_request.c.method == method)
    if path is not None:
        query = query.where((test_request.c.path == path) | (test_request.c.route == path))
    return list(connection.execute(query.order_by(test_request.c.seq.desc()).limit(limit)))


def clear_requests(connection: Connection, organization_id: str) -> int:
    return _delete_where(connection, test_request, organization_id)


def insert_fault(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(test_fault).values(values))


def faults(connection: Connection, organization_id: str) -> list[dict[str, Any]]:
    """The organization's rules still in force, in the order they were added."""
    return _FAULTS.rows(connection, {"b_org": organization_id})


def use_fault(connection: Connection, fault_id: str) -> bool:
    """Use up one `times` of the rule; False if another request took its last one meanwhile."""
    used = connection.execute(
        update(test_fault)
        .where(test_fault.c.id == fault_id, test_fault.c.remaining > 0)
        .values(remaining=test_fault.c.remaining - 1)
    )
    connection.execute(delete(test_fault).where(test_fault.c.id == fault_id, test_fault.c.remaining <= 0))
    return bool(used.rowcount)


def clear_faults(connection: Connection, organization_id: str) -> int:
    return _delete_where(connection, test_fault, organization_id)


def delete_organization_objects(connection: Connection, organization_id: str) -> dict[str, int]:
    """Delete everything the organization made through the API, children first; keys and workspaces stay."""
    deliveries = select(webhook_delivery.c.id).where(webhook_delivery.c.organization_id == organization_id)
    connection.execute(delete(webhook_attempt).where(webhook_attempt.c.delivery_id.in_(deliveries)))
    deleted = {
        "webhook_deliveries": _delete_where(connection, webhook_delivery, organization_id),
        "webhook_events": _delete_where(connection, webhook_event, organization_id),
        "webhook_endpoints": _delete_where(connection, webhook_endpoint, organization_id),
        "identity_checks": _delete_where(connection, identity_check, organization_id),
        "enforcement_actions": _delete_where(connection, enforcement_action, organization_id),
        "enrollments": _delete_where(connection, enrollment, organization_id),
        "links": _delete_where(connection, link, organization_id),
        "user_profiles": _delete_where(connection, user_profile, organization_id),
        "requests": clear_requests(connection, organization_id),
        "faults": clear_faults(connection, organization_id),
    }
    return deleted


def _delete_where(connection: Connection, table: Table, organization_id: str) -> int:
    return int(connection.execute(delete(table).where(table.c.organization_id == organization_id)).rowcount)


def lease_pending(connection: Connection, organization_id: str, now: datetime, lease: datetime) -> list[Row[Any]]:
    """Lease every pending, unleased delivery of the organization to an enabled endpoint until `lease`,
    due or not; return them with their event and endpoint as the dispatcher's claim does."""
    free = (webhook_delivery.c.lease_expires_at.is_(None)) | (webhook_delivery.c.lease_expires_at <= now)
    pending = (
        select(webhook_delivery.c.id)
        .join(webhook_endpoint, webhook_endpoint.c.id == webhook_delivery.c.endpoint_id)
        .where(
            webhook_delivery.c.organization_id == organization_id,
            webhook_delivery.c.status == "pending",
            webhook_endpoint.c.state == "enabled",
            free,
        )
        .with_for_update(skip_locked=True, of=webhook_delivery)
    )
    ids = list(connection.scalars(pending))
    if not ids:
        return []
    connection.execute(update(webhook_delivery).where(webhook_delivery.c.id.in_(ids)).values(lease_expires_at=lease))
    return queue_repository.leased(connection, ids, lease)
