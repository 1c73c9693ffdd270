"""The operator's use cases on the delivery log (docs/reference/webhooks.md §7): list, retrieve with attempts, retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from uprof.http.errors import Conflict, NotFound
from uprof.http.listing import Listing, page_of
from uprof.http.pagination import CursorCodec
from uprof.webhooks import repository
from uprof.webhooks.records import WebhookDelivery
from uprof.webhooks.schemas import DeliveryFilters
from uprof.webhooks.wakeup import note_new_work


@dataclass(frozen=True)
class DeliveryRecord:
    delivery: WebhookDelivery
    attempts: list[Row[Any]]


def list_page(
    connection: Connection,
    organization_id: str,
    filters: DeliveryFilters,
    listing: Listing,
    cursors: CursorCodec,
    profile_id: str | None = None,
) -> tuple[list[WebhookDelivery], str | None]:
    """Deliveries newest first and the cursor of the next page; with `profile_id` (a filter of the
    console's log only), those of events about that profile. Raises InvalidRequest for a bad cursor."""

    def fetch(after: tuple[int, str] | None, limit: int) -> list[WebhookDelivery]:
        return repository.delivery_page(
            connection,
            organization_id,
            endpoint_id=filters.endpoint_id,
            statuses=filters.statuses,
            event_type=filters.event_type,
            event_id=filters.event_id,
            after=after,
            limit=limit,
            profile_id=profile_id,
        )

    return page_of(listing, cursors, fetch, "created_at")


def retrieve(connection: Connection, organization_id: str, delivery_id: str) -> DeliveryRecord:
    """One delivery with all its attempts, oldest first. Raises NotFound."""
    row = repository.get_delivery(connection, organization_id, delivery_id)
    if row is None:
        raise delivery_not_found()
    return DeliveryRecord(row, repository.attempts_of(connection, delivery_id))


def retry(connection: Connection, organization_id: str, delivery_id: str, now: datetime) -> DeliveryRecord:
    """Put a failed or cancelled delivery back to pending now, with a fresh attempt budget.

    Raises NotFound, or Conflict when it is pending or succeeded or its endpoint is disabled.
    """
    row = repository.get_delivery(connection, organization_id, delivery_id, for_update=True)
    if row is None:
        raise delivery_not_found()
    if row.status not in ("failed", "cancelled"):
        raise _conflict(f"webhook delivery cannot be retried (status: {row.status})")
    endpoint = repository.get_endpoint(connection, organization_id, row.endpoint_id)
    if endpoint is None or endpoint.state != "enabled":
        raise _conflict("webhook delivery cannot be retried while its endpoint is disabled")
    repository.update_delivery(
        connection,
        delivery_id,
        {
            "status": "pending",
            "next_attempt_at": now,
            "finished_at": None,
            "lease_expires_at": None,
            "budget_start": row.attempt_count,
        },
    )
    note_new_work(connection)
    return retrieve(connection, organization_id, delivery_id)


def delivery_not_found() -> NotFound:
    return NotFound("webhook delivery not found")


def _conflict(message: str) -> Conflict:
    return Conflict(message, headers={"x-should-retry": "false"})
