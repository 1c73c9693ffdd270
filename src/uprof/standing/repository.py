"""The reads every profile response makes: its open enforcement actions and whether an identity check awaits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from uprof.standing.enforcement import open_condition
from uprof.standing.models import enforcement_action as t
from uprof.standing.models import identity_check
from uprof.standing.records import EnforcementAction

# Read on every profile response: built once so SQLAlchemy reuses the compiled statement.
_OPEN_ACTIONS = select(t).where(
    t.c.user_profile_id.in_(bindparam("b_ids", expanding=True)),
    open_condition(bindparam("b_now", type_=t.c.expires_at.type)),
)


def open_actions_by_profile(
    connection: Connection, profile_ids: Sequence[str], now: datetime
) -> dict[str, list[EnforcementAction]]:
    """Unresolved, unexpired actions of the given profiles, grouped by profile ID."""
    grouped: dict[str, list[EnforcementAction]] = defaultdict(list)
    if not profile_ids:
        return grouped
    for row in connection.execute(_OPEN_ACTIONS, {"b_ids": list(profile_ids), "b_now": now}):
        grouped[row.user_profile_id].append(EnforcementAction.of(row._mapping))
    return grouped


def profiles_with_submitted_check(connection: Connection, profile_ids: Sequence[str]) -> set[str]:
    """Which of the profiles have an identity check awaiting the operator's decision."""
    query = select(identity_check.c.user_profile_id).where(
        identity_check.c.user_profile_id.in_(profile_ids), identity_check.c.status == "submitted"
    )
    return set(connection.scalars(query))
