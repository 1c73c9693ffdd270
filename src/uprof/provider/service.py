"""The operator's use cases on stored state: program standing and enforcement actions.

The Admin API and console (provider.md §5–6) will call these; until they exist, tests set state here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from uprof.http.errors import Conflict, NotFound
from uprof.ids import new_id
from uprof.profiles import repository as profiles
from uprof.profiles.service import profile_not_found
from uprof.provider import repository
from uprof.provider.enforcement import is_open

CYBER_TIERS = ("a", "b", "c")
EFS_FEATURES = ("data_retention_exemption", "cmek", "storage")


def set_cyber(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    *,
    status: str,
    tiers: dict[str, str] | None = None,
    requirements: dict[str, bool] | None = None,
    now: datetime,
) -> None:
    """Set cyber standing. `tiers` maps a/b/c to active/inactive (all inactive when left out)."""
    standing: dict[str, Any] = {"status": status, "tiers": {}, "requirements": None}
    if tiers:
        standing["tiers"] = {tier: {"status": tiers.get(tier, "inactive")} for tier in CYBER_TIERS}
        if any(value == "active" for value in tiers.values()):
            standing["requirements"] = {"data_retention": True, "human_review": True, **(requirements or {})}
    _store_program(connection, organization_id, profile_id, "cyber", standing, now)


def set_efs(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    *,
    status: str,
    features: dict[str, str] | None = None,
    now: datetime,
) -> None:
    """Set efs standing; features left out are inactive."""
    standing = {
        "status": status,
        "features": {feature: {"status": (features or {}).get(feature, "inactive")} for feature in EFS_FEATURES},
    }
    _store_program(connection, organization_id, profile_id, "efs", standing, now)


def clear_program(connection: Connection, organization_id: str, profile_id: str, program: str, now: datetime) -> None:
    _store_program(connection, organization_id, profile_id, program, None, now)


def _store_program(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    program: str,
    standing: dict[str, Any] | None,
    now: datetime,
) -> None:
    current = profiles.get(connection, organization_id, profile_id, for_update=True)
    if current is None:
        raise profile_not_found()
    if current._mapping[program] != standing:
        profiles.update_profile(connection, profile_id, {program: standing, "updated_at": now})


def open_enforcement_action(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    *,
    type: str,
    reason: str,
    now: datetime,
    verifiable: bool = False,
    expires_at: datetime | None = None,
    note: str | None = None,
) -> str:
    """Open a restriction or ban at once and return its ID; `updated_at` does not move."""
    if profiles.get(connection, organization_id, profile_id) is None:
        raise profile_not_found()
    action_id = new_id("enac_")
    repository.insert_action(
        connection,
        id=action_id,
        organization_id=organization_id,
        user_profile_id=profile_id,
        type=type,
        reason=reason,
        verifiable=verifiable,
        expires_at=expires_at,
        opened_at=now,
        note=note,
    )
    return action_id


def resolve_enforcement_action(connection: Connection, organization_id: str, action_id: str, now: datetime) -> None:
    """Resolve an open action by operator decision. Raises NotFound, or Conflict when it is not open."""
    action = repository.get_action(connection, organization_id, action_id)
    if action is None:
        raise NotFound("enforcement action not found")
    if not is_open(dict(action._mapping), now):
        raise Conflict("enforcement action is already resolved")
    repository.set_resolved(connection, action_id, resolved_at=now, resolution="operator")
