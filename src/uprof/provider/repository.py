"""Every query on enforcement actions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from uprof.provider.models import enforcement_action as t


def insert_action(connection: Connection, **values: Any) -> None:
    connection.execute(insert(t).values(**values))


def get_action(connection: Connection, organization_id: str, action_id: str) -> Row[Any] | None:
    query = select(t).where(t.c.id == action_id, t.c.organization_id == organization_id)
    return connection.execute(query).first()


def set_resolved(connection: Connection, action_id: str, *, resolved_at: datetime, resolution: str) -> None:
    connection.execute(update(t).where(t.c.id == action_id).values(resolved_at=resolved_at, resolution=resolution))


def open_actions_by_profile(
    connection: Connection, profile_ids: Sequence[str], now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Unresolved, unexpired actions of the given profiles, grouped by profile ID."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not profile_ids:
        return grouped
    query = select(t).where(
        t.c.user_profile_id.in_(profile_ids),
        t.c.resolved_at.is_(None),
        or_(t.c.expires_at.is_(None), t.c.expires_at > now),
    )
    for row in connection.execute(query):
        grouped[row.user_profile_id].append(dict(row._mapping))
    return grouped
