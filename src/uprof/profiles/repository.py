"""Every query on the user_profile table."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, exists, insert, or_, select, tuple_, update

from uprof.db.prepared import Prepared
from uprof.profiles.models import user_profile as t
from uprof.provider.models import enforcement_action

# The column `get_with_action_flag` adds: whether the profile has any unresolved enforcement action.
ACTION_FLAG = "has_unresolved_action"

# The statements every profile request runs are prepared once (uprof.db.prepared).
_INSERT = Prepared(insert(t))  # create stores every column
_GET = select(t).where(t.c.id == bindparam("b_id"), t.c.organization_id == bindparam("b_organization_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_UNRESOLVED_ACTION = exists().where(
    enforcement_action.c.user_profile_id == t.c.id, enforcement_action.c.resolved_at.is_(None)
)
_GET_FLAGGED = Prepared(_GET.add_columns(_UNRESOLVED_ACTION.label(ACTION_FLAG)))
_GET_FLAGGED_FOR_UPDATE = Prepared(_GET.add_columns(_UNRESOLVED_ACTION.label(ACTION_FLAG)).with_for_update(of=t))
_UPDATE = update(t).where(t.c.id == bindparam("b_id"))
_DELETE = delete(t).where(t.c.id == bindparam("b_id"), t.c.organization_id == bindparam("b_organization_id"))


def insert_profile(connection: Connection, values: dict[str, Any]) -> None:
    _INSERT.run(connection, values)


def get(connection: Connection, organization_id: str, profile_id: str, *, for_update: bool = False) -> Row[Any] | None:
    """The profile, or None; `for_update` locks the row until the transaction ends (PostgreSQL)."""
    query = _GET_FOR_UPDATE if for_update else _GET
    return connection.execute(query, {"b_id": profile_id, "b_organization_id": organization_id}).first()


def get_with_action_flag(
    connection: Connection, organization_id: str, profile_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    """`get` plus the ACTION_FLAG column, read in the same statement: nearly every profile has no
    unresolved action, and for those the flag saves the query for open actions."""
    query = _GET_FLAGGED_FOR_UPDATE if for_update else _GET_FLAGGED
    return query.first(connection, {"b_id": profile_id, "b_organization_id": organization_id})


def update_profile(connection: Connection, profile_id: str, values: dict[str, Any]) -> None:
    _update_of(tuple(sorted(values))).run(connection, {**values, "b_id": profile_id})


@lru_cache(maxsize=64)
def _update_of(columns: tuple[str, ...]) -> Prepared:
    """The UPDATE that sets exactly `columns` (an update usually changes the same few each time)."""
    return Prepared(_UPDATE, column_keys=columns)


def delete_profile(connection: Connection, organization_id: str, profile_id: str) -> bool:
    result = connection.execute(_DELETE, {"b_id": profile_id, "b_organization_id": organization_id})
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
        pattern = "%" + q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(t.c.id == q, t.c.reference_id == q, t.c.name_folded.like(pattern, escape="\\")))
    if after is not None:
        query = query.where(tuple_(t.c.created_at, t.c.id) < tuple_(*after))
    return list(connection.execute(query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)))
