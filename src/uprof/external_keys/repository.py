"""Every query on External Keys (the controls' lookup, get_keys, is in data_controls/repository.py), and the one
question they ask of data controls: is a key attached?"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, exists, insert, or_, select, tuple_, update

from uprof.data_controls.models import data_control_region, data_control_retired, external_key
from uprof.profiles.models import user_profile


def insert_key(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(external_key).values(**values))


def get_key(connection: Connection, organization_id: str, key_id: str, *, for_update: bool = False) -> Row[Any] | None:
    query = select(external_key).where(external_key.c.id == key_id, external_key.c.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).first()


def update_key(connection: Connection, key_id: str, values: dict[str, Any]) -> None:
    connection.execute(update(external_key).where(external_key.c.id == key_id).values(values))


def delete_key(connection: Connection, key_id: str) -> None:
    connection.execute(delete(external_key).where(external_key.c.id == key_id))


def key_page(connection: Connection, organization_id: str, after: tuple[int, str] | None, limit: int) -> list[Row[Any]]:
    """Keys newest first (`created_at`, then `id`), after a keyset position when given."""
    query = select(external_key).where(external_key.c.organization_id == organization_id)
    if after is not None:
        query = query.where(tuple_(external_key.c.created_at, external_key.c.id) < tuple_(*after))
    query = query.order_by(external_key.c.created_at.desc(), external_key.c.id.desc())
    return list(connection.execute(query.limit(limit)))


def attached_ids(connection: Connection, key_ids: list[str], now: datetime) -> set[str]:
    """Which of `key_ids` a profile's data controls use: configured or applied in a region, or retired
    and not yet expired (the customer must keep such a key usable)."""
    if not key_ids:
        return set()
    region, retired = data_control_region.c, data_control_retired.c
    in_regions = select(region.configured_key_id, region.effective_key_id).where(
        or_(region.configured_key_id.in_(key_ids), region.effective_key_id.in_(key_ids))
    )
    found = {key for row in connection.execute(in_regions) for key in row if key in key_ids}
    unexpired = select(retired.external_key_id).where(retired.external_key_id.in_(key_ids), retired.expires_at > now)
    return found | {row.external_key_id for row in connection.execute(unexpired)}


def is_attached(connection: Connection, key_id: str, now: datetime) -> bool:
    return bool(attached_ids(connection, [key_id], now))


def profile_exists(connection: Connection, organization_id: str, profile_id: str) -> bool:
    query = select(exists().where(user_profile.c.id == profile_id, user_profile.c.organization_id == organization_id))
    return bool(connection.scalar(query))
