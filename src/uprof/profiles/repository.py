"""Every query on the user_profile table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, delete, func, insert, or_, select, tuple_, update

from uprof.profiles.models import user_profile as t


def insert_profile(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(t).values(values))


def get(connection: Connection, organization_id: str, profile_id: str, *, for_update: bool = False) -> Row[Any] | None:
    """The profile, or None; `for_update` locks the row until the transaction ends (PostgreSQL)."""
    query = select(t).where(t.c.id == profile_id, t.c.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).first()


def update_profile(connection: Connection, profile_id: str, values: dict[str, Any]) -> None:
    connection.execute(update(t).where(t.c.id == profile_id).values(values))


def delete_profile(connection: Connection, organization_id: str, profile_id: str) -> bool:
    result = connection.execute(delete(t).where(t.c.id == profile_id, t.c.organization_id == organization_id))
    return result.rowcount > 0


def page_by_created_at(
    connection: Connection, organization_id: str, descending: bool, after: tuple[int, str] | None, limit: int
) -> list[Row[Any]]:
    """Up to `limit` profiles in (created_at, id) order, strictly after the keyset position `after`."""
    query = select(t).where(t.c.organization_id == organization_id)
    if after is not None:
        key = tuple_(t.c.created_at, t.c.id)
        query = query.where(key < tuple_(*after) if descending else key > tuple_(*after))
    return _ordered(query, descending, t.c.created_at, limit, connection)


def page_named(
    connection: Connection, organization_id: str, descending: bool, after: tuple[str, str] | None, limit: int
) -> list[Row[Any]]:
    """Named profiles in (name_key, id) order after `after`."""
    query = select(t).where(t.c.organization_id == organization_id, t.c.name_key.is_not(None))
    if after is not None:
        key = tuple_(t.c.name_key, t.c.id)
        query = query.where(key < tuple_(*after) if descending else key > tuple_(*after))
    return _ordered(query, descending, t.c.name_key, limit, connection)


def page_unnamed(
    connection: Connection, organization_id: str, descending: bool, after_id: str | None, limit: int
) -> list[Row[Any]]:
    """Profiles without a name in id order after `after_id`."""
    query = select(t).where(t.c.organization_id == organization_id, t.c.name_key.is_(None))
    if after_id is not None:
        query = query.where(t.c.id < after_id if descending else t.c.id > after_id)
    order = t.c.id.desc() if descending else t.c.id.asc()
    return list(connection.execute(query.order_by(order).limit(limit)))


def _ordered(query: Select[Any], descending: bool, column: Any, limit: int, connection: Connection) -> list[Row[Any]]:
    direction = "desc" if descending else "asc"
    query = query.order_by(getattr(column, direction)(), getattr(t.c.id, direction)())
    return list(connection.execute(query.limit(limit)))


def search(
    connection: Connection, organization_id: str, q: str | None, after: tuple[int, str] | None, limit: int
) -> list[Row[Any]]:
    """Newest first: profiles whose ID or reference ID equals `q`, or whose name contains it (any case)."""
    query = select(t).where(t.c.organization_id == organization_id)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(t.c.id == q, t.c.reference_id == q, func.lower(t.c.name).like(pattern, escape="\\")))
    if after is not None:
        query = query.where(tuple_(t.c.created_at, t.c.id) < tuple_(*after))
    return list(connection.execute(query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)))
