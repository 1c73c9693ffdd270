"""Every query on the user_profile table; rows come back as `Profile` records."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, insert, or_, select, tuple_, update

from uprof.db.prepared import Prepared
from uprof.profiles.models import user_profile as t
from uprof.profiles.records import Profile
from uprof.standing.models import enforcement_action

# The column `get_with_action_flag` adds: whether the profile has any unresolved enforcement action.
ACTION_FLAG = "has_unresolved_action"

# The statements every profile request runs are prepared once (uprof.db.prepared). Those that read
# select every column of user_profile and then ACTION_FLAG: a row's values are a Profile's, in order.
_INSERT = Prepared(insert(t))  # create stores every column
_GET = select(t).where(t.c.id == bindparam("b_id"), t.c.organization_id == bindparam("b_organization_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_FLAG_COLUMN = (
    exists()
    .where(enforcement_action.c.user_profile_id == t.c.id, enforcement_action.c.resolved_at.is_(None))
    .label(ACTION_FLAG)
)
_GET_FLAGGED = Prepared(_GET.add_columns(_FLAG_COLUMN))
_GET_FLAGGED_FOR_UPDATE = Prepared(_GET.add_columns(_FLAG_COLUMN).with_for_update(of=t))
_UPDATE = update(t).where(t.c.id == bindparam("b_id"))
_BY_ORGANIZATION = select(t).where(t.c.organization_id == bindparam("b_organization_id"))
_DELETE = delete(t).where(t.c.id == bindparam("b_id"), t.c.organization_id == bindparam("b_organization_id"))


def insert_profile(connection: Connection, values: dict[str, Any]) -> None:
    _INSERT.run(connection, values)


def get(connection: Connection, organization_id: str, profile_id: str, *, for_update: bool = False) -> Profile | None:
    """The profile, or None; `for_update` locks the row until the transaction ends (PostgreSQL)."""
    query = _GET_FOR_UPDATE if for_update else _GET
    row = connection.execute(query, {"b_id": profile_id, "b_organization_id": organization_id}).first()
    return None if row is None else Profile.of(row._mapping)


def get_with_action_flag(
    connection: Connection, organization_id: str, profile_id: str, *, for_update: bool = False
) -> Profile | None:
    """`get` plus the ACTION_FLAG column (`Profile.has_unresolved_action`), read in the same statement:
    nearly every profile has no unresolved action, and for those the flag saves the query for open actions."""
    query = _GET_FLAGGED_FOR_UPDATE if for_update else _GET_FLAGGED
    return query.first_record(connection, {"b_id": profile_id, "b_organization_id": organization_id}, Profile._make)


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
) -> list[Profile]:
    """Up to `limit` profiles in (created_at, id) order, strictly after the keyset position `after`."""
    return _page("created_at", descending, after, organization_id, limit, connection)


def page_named(
    connection: Connection, organization_id: str, descending: bool, after: tuple[str, str] | None, limit: int
) -> list[Profile]:
    """Named profiles in (name_key, id) order after `after`."""
    return _page("name_key", descending, after, organization_id, limit, connection)


def page_unnamed(
    connection: Connection, organization_id: str, descending: bool, after_id: str | None, limit: int
) -> list[Profile]:
    """Profiles without a name in id order after `after_id`."""
    after = None if after_id is None else ("", after_id)
    return _page("unnamed", descending, after, organization_id, limit, connection)


def _page(
    order: str,
    descending: bool,
    after: tuple[Any, str] | None,
    organization_id: str,
    limit: int,
    connection: Connection,
) -> list[Profile]:
    parameters: dict[str, Any] = {"b_organization_id": organization_id, "b_limit": limit}
    if after is not None:
        parameters["b_after_key"], parameters["b_after_id"] = after
    return _page_query(order, descending, after is not None).records(connection, parameters, Profile._make)


@cache
def _page_query(order: str, descending: bool, continues: bool) -> Prepared:
    """One page of a list, with ACTION_FLAG, for each order (`created_at`, `name_key`, or `unnamed`:
    profiles without a name, by id), direction, and whether it continues after a keyset position."""
    query = _BY_ORGANIZATION.add_columns(_FLAG_COLUMN)
    if order == "unnamed":
        query = query.where(t.c.name_key.is_(None))
        keys = [t.c.id]
        after: Any = bindparam("b_after_id", type_=t.c.id.type)
        position: Any = t.c.id
    else:
        column = t.c[order]
        if order == "name_key":
            query = query.where(column.is_not(None))
        keys = [column, t.c.id]
        after = tuple_(bindparam("b_after_key", type_=column.type), bindparam("b_after_id", type_=t.c.id.type))
        position = tuple_(column, t.c.id)
    if continues:
        query = query.where(position < after if descending else position > after)
    query = query.order_by(*(key.desc() if descending else key.asc() for key in keys))
    return Prepared(query.limit(bindparam("b_limit")))


def search(
    connection: Connection, organization_id: str, q: str | None, after: tuple[int, str] | None, limit: int
) -> list[Profile]:
    """Newest first: profiles whose ID or reference ID equals `q`, or whose name contains it (any case)."""
    query = select(t).where(t.c.organization_id == organization_id)
    if q:
        pattern = "%" + q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(t.c.id == q, t.c.reference_id == q, t.c.name_folded.like(pattern, escape="\\")))
    if after is not None:
        query = query.where(tuple_(t.c.created_at, t.c.id) < tuple_(*after))
    rows = connection.execute(query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit))
    return [Profile.of(row._mapping) for row in rows]
