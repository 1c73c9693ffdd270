"""What the console pages read, composed from the operator's queries (the same ones the Admin API uses)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Row

from uprof.console import repository
from uprof.http.listing import Listing
from uprof.http.pagination import CursorCodec
from uprof.http.revision_choice import Revision
from uprof.profiles import repository as profile_rows
from uprof.profiles import revisions
from uprof.profiles.records import Profile
from uprof.provider import reads
from uprof.provider.reads import OperatorProfile
from uprof.provider.records import Enrollment
from uprof.standing import enforcement
from uprof.standing.enforcement import is_open, next_step
from uprof.standing.records import EnforcementAction, IdentityCheck
from uprof.webhooks import repository as webhook_rows
from uprof.webhooks import service as endpoints
from uprof.webhooks.records import WebhookDelivery, WebhookEndpoint
from uprof.webhooks.schemas import EndpointListQuery

# The profile page lists this many of the newest deliveries about the profile; the log has the rest.
DELIVERIES_IN_PROFILE_SHEET = 20


RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Page(Generic[RowT]):
    """One page of a console list, with the profiles its rows belong to (for names and standing)."""

    rows: list[RowT]
    next_page: str | None
    profiles: dict[str, Profile]


def dashboard_counts(connection: Connection, organization_id: str, now: datetime) -> dict[str, int]:
    return {
        "pending_enrollments": repository.count_pending_enrollments(connection, organization_id),
        "submitted_checks": repository.count_submitted_checks(connection, organization_id),
        "open_actions": repository.count_open_actions(connection, organization_id, now),
        "failed_deliveries": repository.count_failed_deliveries(connection, organization_id),
    }


def _profiles(connection: Connection, organization_id: str, ids: Iterable[str]) -> dict[str, Profile]:
    found = {}
    for profile_id in dict.fromkeys(ids):
        row = profile_rows.get(connection, organization_id, profile_id)
        if row is not None:
            found[profile_id] = row
    return found


def enrollment_queue(
    connection: Connection,
    organization_id: str,
    listing: Listing,
    cursors: CursorCodec,
    **filters: Any,
) -> Page[Enrollment]:
    """Enrollments as `GET /v1/admin/enrollments` lists them. Raises InvalidRequest for a bad cursor."""
    rows, cursor = reads.list_enrollments(connection, organization_id, listing, cursors, **filters)
    return Page(rows, cursor, _profiles(connection, organization_id, (row.user_profile_id for row in rows)))


def identity_check_list(
    connection: Connection,
    organization_id: str,
    listing: Listing,
    cursors: CursorCodec,
    *,
    statuses: list[str],
    profile_id: str | None,
) -> Page[IdentityCheck]:
    rows, cursor = reads.list_identity_checks(
        connection, organization_id, listing, cursors, statuses=statuses, profile_id=profile_id
    )
    return Page(rows, cursor, _profiles(connection, organization_id, (row.user_profile_id for row in rows)))


@dataclass(frozen=True)
class DeliveryLine:
    """A delivery as the profile page lists it (with its `endpoint_url`) and its latest attempt."""

    delivery: WebhookDelivery
    last_attempt: Row[Any] | None


@dataclass(frozen=True)
class ProfileSheet:
    """The operator profile plus how each revision shows it and each action's derived state."""

    view: OperatorProfile
    revisions: list[tuple[str, str]]
    actions: list[ActionLine]
    enforcement_status: str
    deliveries: list[DeliveryLine]
    more_deliveries: bool  # older deliveries exist beyond those listed


@dataclass(frozen=True)
class ActionLine:
    """An action as the profile page lists it: the stored action, whether it is open, and its next step."""

    action: EnforcementAction
    open: bool
    next_step: str | None


# The profile page's heading of each revision's view, oldest first: `R1 · 2026-03-24`, …, `GA`.
REVISION_LABELS = tuple(
    (f"{revision.name} · {revision.date}" if revision.date else revision.name, revision) for revision in Revision
)


def profile_sheet(connection: Connection, organization_id: str, profile_id: str) -> ProfileSheet:
    """Raises NotFound (`user profile not found`)."""
    view = reads.operator_profile(connection, organization_id, profile_id)
    read = view.profile
    shapes = [
        (label, json.dumps(revisions.render(read, revision), indent=2, ensure_ascii=False))
        for label, revision in REVISION_LABELS
    ]
    now, submitted = read.read_at, read.identity_check_submitted
    actions = [ActionLine(row, is_open(row, now), next_step(row, submitted, now)) for row in view.actions]
    deliveries, more = profile_deliveries(connection, organization_id, profile_id, DELIVERIES_IN_PROFILE_SHEET)
    status = enforcement.status(read.enforcement_actions, submitted)
    return ProfileSheet(view, shapes, actions, status, deliveries, more)


def profile_deliveries(
    connection: Connection, organization_id: str, profile_id: str, limit: int
) -> tuple[list[DeliveryLine], bool]:
    """The newest `limit` deliveries of events about the profile, and whether older ones exist."""
    rows = webhook_rows.delivery_page(
        connection,
        organization_id,
        endpoint_id=None,
        statuses=(),
        event_type=None,
        event_id=None,
        after=None,
        limit=limit + 1,
        profile_id=profile_id,
    )
    lines = [DeliveryLine(row, _last(webhook_rows.attempts_of(connection, row.id))) for row in rows[:limit]]
    return lines, len(rows) > limit


def _last(attempts: list[Row[Any]]) -> Row[Any] | None:
    return attempts[-1] if attempts else None


def webhook_endpoints(connection: Connection, organization_id: str) -> list[WebhookEndpoint]:
    """Every webhook endpoint of the organization, newest first (there are at most MAX_ENDPOINTS)."""
    query = EndpointListQuery(endpoints.MAX_ENDPOINTS, descending=True, after_id=None, before_id=None)
    return endpoints.list_page(connection, organization_id, query).rows
