"""What the console pages read, composed from the operator's queries (the same ones the Admin API uses)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from uprof.console import repository
from uprof.http.pagination import CursorCodec
from uprof.http.revisions import Revision
from uprof.profiles import repository as profile_rows
from uprof.profiles import revisions
from uprof.provider import enforcement, queries
from uprof.provider.enforcement import is_open, next_step
from uprof.provider.queries import Listing, OperatorProfile


@dataclass(frozen=True)
class Page:
    """One page of a console list, with the profiles its rows belong to (for names and standing)."""

    rows: list[Row[Any]]
    next_page: str | None
    profiles: dict[str, dict[str, Any]]


def dashboard_counts(connection: Connection, organization_id: str, now: datetime) -> dict[str, int]:
    return {
        "pending_enrollments": repository.count_pending_enrollments(connection, organization_id),
        "submitted_checks": repository.count_submitted_checks(connection, organization_id),
        "open_actions": repository.count_open_actions(connection, organization_id, now),
        "failed_deliveries": repository.count_failed_deliveries(connection, organization_id),
    }


def _profiles(connection: Connection, organization_id: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for profile_id in dict.fromkeys(ids):
        row = profile_rows.get(connection, organization_id, profile_id)
        if row is not None:
            found[profile_id] = dict(row._mapping)
    return found


def enrollment_queue(
    connection: Connection,
    organization_id: str,
    listing: Listing,
    cursors: CursorCodec,
    **filters: Any,
) -> Page:
    """Enrollments as `GET /v1/admin/enrollments` lists them. Raises InvalidRequest for a bad cursor."""
    rows, cursor = queries.list_enrollments(connection, organization_id, listing, cursors, **filters)
    return Page(rows, cursor, _profiles(connection, organization_id, (row.user_profile_id for row in rows)))


def identity_check_list(
    connection: Connection,
    organization_id: str,
    listing: Listing,
    cursors: CursorCodec,
    *,
    statuses: list[str],
    profile_id: str | None,
) -> Page:
    rows, cursor = queries.list_identity_checks(
        connection, organization_id, listing, cursors, statuses=statuses, profile_id=profile_id
    )
    return Page(rows, cursor, _profiles(connection, organization_id, (row.user_profile_id for row in rows)))


@dataclass(frozen=True)
class ProfileSheet:
    """The operator profile plus how each revision shows it and each action's derived state."""

    view: OperatorProfile
    revisions: list[tuple[str, str]]
    actions: list[dict[str, Any]]
    enforcement_status: str


REVISION_LABELS = (
    ("R1 · 2026-03-24", Revision.R1),
    ("R2 · 2026-08-18", Revision.R2),
    ("R3 · 2026-09-04", Revision.R3),
    ("GA", Revision.GA),
)


def profile_sheet(connection: Connection, organization_id: str, profile_id: str) -> ProfileSheet:
    """Raises NotFound (`user profile not found`)."""
    view = queries.operator_profile(connection, organization_id, profile_id)
    profile = view.profile
    shapes = [
        (label, json.dumps(revisions.render(profile, revision), indent=2, ensure_ascii=False))
        for label, revision in REVISION_LABELS
    ]
    now, submitted = profile["read_at"], profile["identity_check_submitted"]
    rows: list[dict[str, Any]] = [dict(row._mapping) for row in view.actions]
    actions = [{**row, "open": is_open(row, now), "next_step": next_step(row, submitted, now)} for row in rows]
    return ProfileSheet(view, shapes, actions, enforcement.status(profile["enforcement_actions"], submitted))
