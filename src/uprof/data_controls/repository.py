"""Every query on a profile's data controls: load them whole (the profile row locked), save them whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from uprof.data_controls.models import data_control_region, data_control_retired, data_controls, external_key
from uprof.data_controls.regions import CONTROLS, Region, Retired, key_id
from uprof.profiles.models import user_profile


@dataclass
class Controls:
    """A profile's data controls as stored, plus what this unit of work has retired."""

    organization_id: str
    profile_id: str
    stored: bool
    enabled: dict[str, bool]
    suspended: dict[str, bool]
    updated_at: datetime
    regions: dict[tuple[str, str], Region]
    retired: list[Retired]
    newly_retired: list[Retired] = field(default_factory=list)


def lock_profile(connection: Connection, organization_id: str, profile_id: str) -> datetime | None:
    """Lock the profile's row (every change to its data controls takes this lock first) and return
    its creation time; None when the organization has no such profile."""
    query = (
        select(user_profile.c.created_at)
        .where(user_profile.c.id == profile_id, user_profile.c.organization_id == organization_id)
        .with_for_update()
    )
    created_at: datetime | None = connection.scalar(query)
    return created_at


def load(
    connection: Connection, organization_id: str, profile_id: str, created_at: datetime, now: datetime
) -> Controls:
    """The profile's controls; retired entries that expired by `now` are left out."""
    row = connection.execute(select(data_controls).where(data_controls.c.user_profile_id == profile_id)).first()
    region_rows = connection.execute(
        select(data_control_region).where(data_control_region.c.user_profile_id == profile_id)
    )
    regions = {(r.control, r.region): _region(r._mapping) for r in region_rows}
    retired_query = (
        select(data_control_retired)
        .where(data_control_retired.c.user_profile_id == profile_id, data_control_retired.c.expires_at > now)
        .order_by(data_control_retired.c.expires_at, data_control_retired.c.id)
    )
    retired = [Retired(r.control, r.region, r.reference, r.expires_at) for r in connection.execute(retired_query)]
    if row is None:
        off = {control: False for control in CONTROLS}
        return Controls(organization_id, profile_id, False, off, dict(off), created_at, regions, retired)
    return Controls(
        organization_id,
        profile_id,
        True,
        {"cmek": row.cmek_enabled, "storage": row.storage_enabled},
        {"cmek": row.cmek_suspended, "storage": row.storage_suspended},
        row.updated_at,
        regions,
        retired,
    )


def _region(values: Any) -> Region:
    return Region(
        control=values["control"],
        region=values["region"],
        configured=values["configured"],
        effective=values["effective"],
        status=values["status"],
        pending_since=values["pending_since"],
        validated_at=values["validated_at"],
        error=values["error"],
        failed_checks=list(values["failed_checks"] or []),
        details=values["details"],
    )


def save(connection: Connection, controls: Controls, now: datetime) -> None:
    """Store `controls` whole: the controls row, every region that holds anything, new retired entries;
    retired entries expired by `now` are deleted."""
    values = {
        "cmek_enabled": controls.enabled["cmek"],
        "storage_enabled": controls.enabled["storage"],
        "cmek_suspended": controls.suspended["cmek"],
        "storage_suspended": controls.suspended["storage"],
        "updated_at": controls.updated_at,
    }
    profile_id = controls.profile_id
    if controls.stored:
        connection.execute(update(data_controls).where(data_controls.c.user_profile_id == profile_id).values(values))
    else:
        connection.execute(
            insert(data_controls).values(user_profile_id=profile_id, organization_id=controls.organization_id, **values)
        )
        controls.stored = True
    connection.execute(delete(data_control_region).where(data_control_region.c.user_profile_id == profile_id))
    rows = [_region_row(controls, region) for region in controls.regions.values() if _holds_anything(region)]
    if rows:
        connection.execute(insert(data_control_region), rows)
    if controls.newly_retired:
        connection.execute(
            insert(data_control_retired), [_retired_row(controls, item) for item in controls.newly_retired]
        )
        controls.retired = sorted([*controls.retired, *controls.newly_retired], key=lambda item: item.expires_at)
        controls.newly_retired = []
    connection.execute(
        delete(data_control_retired).where(
            data_control_retired.c.user_profile_id == profile_id, data_control_retired.c.expires_at <= now
        )
    )


def _holds_anything(region: Region) -> bool:
    return region.configured is not None or region.effective is not None or region.status != "not_configured"


def _region_row(controls: Controls, region: Region) -> dict[str, Any]:
    return {
        "user_profile_id": controls.profile_id,
        "organization_id": controls.organization_id,
        "control": region.control,
        "region": region.region,
        "configured": region.configured,
        "effective": region.effective,
        "configured_key_id": key_id(region.configured),
        "effective_key_id": key_id(region.effective),
        "status": region.status,
        "pending_since": region.pending_since,
        "validated_at": region.validated_at,
        "error": region.error,
        "failed_checks": region.failed_checks,
        "details": region.details,
    }


def _retired_row(controls: Controls, item: Retired) -> dict[str, Any]:
    return {
        "user_profile_id": controls.profile_id,
        "organization_id": controls.organization_id,
        "control": item.control,
        "region": item.region,
        "reference": item.reference,
        "external_key_id": key_id(item.reference),
        "expires_at": item.expires_at,
    }


def get_keys(
    connection: Connection, organization_id: str, key_ids: list[str], *, for_share: bool = False
) -> dict[str, Row[Any]]:
    """The organization's keys among `key_ids`, by ID. `for_share` holds them (FOR SHARE) against a
    concurrent deletion until the caller's unit of work ends: a key being put to use stays."""
    if not key_ids:
        return {}
    query = select(external_key).where(
        external_key.c.organization_id == organization_id, external_key.c.id.in_(sorted(set(key_ids)))
    )
    if for_share:
        query = query.order_by(external_key.c.id).with_for_update(read=True)
    return {row.id: row for row in connection.execute(query)}
