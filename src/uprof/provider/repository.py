"""Every query of the operator's side: enforcement actions, enrollments and identity checks.

The two reads every profile response makes are in standing/repository.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, tuple_, update

from uprof.provider.models import enrollment
from uprof.provider.records import Enrollment
from uprof.standing.models import enforcement_action as t
from uprof.standing.models import identity_check
from uprof.standing.records import EnforcementAction, IdentityCheck


def insert_action(connection: Connection, **values: Any) -> None:
    connection.execute(insert(t).values(**values))


def get_action(
    connection: Connection, organization_id: str, action_id: str, *, for_update: bool = False
) -> EnforcementAction | None:
    """The action, or None; `for_update` locks it until the transaction ends (PostgreSQL)."""
    query = select(t).where(t.c.id == action_id, t.c.organization_id == organization_id)
    row = connection.execute(query.with_for_update() if for_update else query).first()
    return None if row is None else EnforcementAction.of(row._mapping)


def set_resolved(
    connection: Connection, action_id: str, *, resolved_at: datetime, resolution: str, note: str | None = None
) -> None:
    values: dict[str, Any] = {"resolved_at": resolved_at, "resolution": resolution}
    if note is not None:
        values["note"] = note
    connection.execute(update(t).where(t.c.id == action_id).values(values))


# --- enforcement actions (operator views) ---


def actions_of_profile(
    connection: Connection, organization_id: str, profile_id: str, *, for_update: bool = False
) -> list[EnforcementAction]:
    """Every action of the profile, newest first; `for_update` locks them (PostgreSQL)."""
    query = (
        select(t)
        .where(t.c.organization_id == organization_id, t.c.user_profile_id == profile_id)
        .order_by(t.c.opened_at.desc(), t.c.id.desc())
    )
    rows = connection.execute(query.with_for_update() if for_update else query)
    return [EnforcementAction.of(row._mapping) for row in rows]


def expired_unresolved(connection: Connection, now: datetime, limit: int) -> list[EnforcementAction]:
    """Up to `limit` unresolved actions past their `expires_at`, earliest first, locked; on PostgreSQL
    those another transaction holds are left out (SKIP LOCKED) rather than waited for."""
    query = select(t).where(t.c.resolved_at.is_(None), t.c.expires_at <= now).order_by(t.c.expires_at).limit(limit)
    return [EnforcementAction.of(row._mapping) for row in connection.execute(query.with_for_update(skip_locked=True))]


def set_not_verifiable(connection: Connection, action_ids: Sequence[str]) -> None:
    connection.execute(update(t).where(t.c.id.in_(action_ids)).values(verifiable=False))


# --- enrollments ---


def insert_enrollment(connection: Connection, **values: Any) -> None:
    connection.execute(insert(enrollment).values(**values))


def get_enrollment(
    connection: Connection, organization_id: str, enrollment_id: str, *, for_update: bool = False
) -> Enrollment | None:
    """The enrollment, or None; `for_update` locks it until the transaction ends (PostgreSQL)."""
    query = select(enrollment).where(enrollment.c.id == enrollment_id, enrollment.c.organization_id == organization_id)
    row = connection.execute(query.with_for_update() if for_update else query).first()
    return None if row is None else Enrollment.of(row._mapping)


def update_enrollment(connection: Connection, enrollment_id: str, **values: Any) -> None:
    connection.execute(update(enrollment).where(enrollment.c.id == enrollment_id).values(**values))


def supersede_pending(connection: Connection, profile_id: str, program: str, now: datetime) -> None:
    connection.execute(
        update(enrollment)
        .where(
            enrollment.c.user_profile_id == profile_id,
            enrollment.c.program == program,
            enrollment.c.status == "pending",
        )
        .values(status="superseded", decided_at=now)
    )


def enrollments_of_profile(connection: Connection, profile_id: str, limit: int) -> list[Enrollment]:
    query = (
        select(enrollment)
        .where(enrollment.c.user_profile_id == profile_id)
        .order_by(enrollment.c.submitted_at.desc(), enrollment.c.id.desc())
        .limit(limit)
    )
    return [Enrollment.of(row._mapping) for row in connection.execute(query)]


def enrollment_page(
    connection: Connection,
    organization_id: str,
    *,
    statuses: Sequence[str] | None,
    program: str | None,
    profile_id: str | None,
    source: str | None,
    descending: bool,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Enrollment]:
    query = select(enrollment).where(enrollment.c.organization_id == organization_id)
    if statuses:
        query = query.where(enrollment.c.status.in_(statuses))
    if program is not None:
        query = query.where(enrollment.c.program == program)
    if profile_id is not None:
        query = query.where(enrollment.c.user_profile_id == profile_id)
    if source is not None:
        query = query.where(enrollment.c.source == source)
    rows = _keyset(connection, query, enrollment.c.submitted_at, enrollment.c.id, descending, after, limit)
    return [Enrollment.of(row._mapping) for row in rows]


# --- identity checks ---


def insert_identity_check(connection: Connection, **values: Any) -> None:
    connection.execute(insert(identity_check).values(**values))


def get_identity_check(
    connection: Connection, organization_id: str, check_id: str, *, for_update: bool = False
) -> IdentityCheck | None:
    """The identity check, or None; `for_update` locks it until the transaction ends (PostgreSQL)."""
    query = select(identity_check).where(
        identity_check.c.id == check_id, identity_check.c.organization_id == organization_id
    )
    row = connection.execute(query.with_for_update() if for_update else query).first()
    return None if row is None else IdentityCheck.of(row._mapping)


def update_identity_check(connection: Connection, check_id: str, **values: Any) -> None:
    connection.execute(update(identity_check).where(identity_check.c.id == check_id).values(**values))


def identity_checks_of_profile(connection: Connection, profile_id: str) -> list[IdentityCheck]:
    query = (
        select(identity_check)
        .where(identity_check.c.user_profile_id == profile_id)
        .order_by(identity_check.c.submitted_at.desc(), identity_check.c.id.desc())
    )
    return [IdentityCheck.of(row._mapping) for row in connection.execute(query)]


def identity_check_page(
    connection: Connection,
    organization_id: str,
    *,
    statuses: Sequence[str] | None,
    profile_id: str | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[IdentityCheck]:
    query = select(identity_check).where(identity_check.c.organization_id == organization_id)
    if statuses:
        query = query.where(identity_check.c.status.in_(statuses))
    if profile_id is not None:
        query = query.where(identity_check.c.user_profile_id == profile_id)
    rows = _keyset(connection, query, identity_check.c.submitted_at, identity_check.c.id, False, after, limit)
    return [IdentityCheck.of(row._mapping) for row in rows]


def _keyset(
    connection: Connection,
    query: Any,
    key: Any,
    id_column: Any,
    descending: bool,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Row[Any]]:
    if after is not None:
        position = tuple_(key, id_column)
        query = query.where(position < tuple_(*after) if descending else position > tuple_(*after))
    direction = "desc" if descending else "asc"
    query = query.order_by(getattr(key, direction)(), getattr(id_column, direction)()).limit(limit)
    return list(connection.execute(query))
