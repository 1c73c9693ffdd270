"""Every query on organizations, workspaces and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, exists, insert, select, update

from uprof.accounts.models import api_key, organization, workspace
from uprof.db.prepared import Prepared


def default_organization_id(connection: Connection) -> str | None:
    return connection.scalar(select(organization.c.id).where(organization.c.is_default))


def organization_id_by_name(connection: Connection, name: str) -> str | None:
    return connection.scalar(select(organization.c.id).where(organization.c.name == name))


def insert_organization(connection: Connection, **values: Any) -> None:
    connection.execute(insert(organization).values(**values))


def workspace_exists(connection: Connection, organization_id: str, workspace_id: str) -> bool:
    query = select(exists().where(workspace.c.organization_id == organization_id, workspace.c.id == workspace_id))
    return bool(connection.scalar(query))


def insert_workspace(connection: Connection, **values: Any) -> None:
    connection.execute(insert(workspace).values(**values))


def any_key_exists(connection: Connection) -> bool:
    return bool(connection.scalar(select(exists().where(api_key.c.id.is_not(None)))))


def insert_key(connection: Connection, **values: Any) -> None:
    connection.execute(insert(api_key).values(**values))


# Every API request looks its key up (uprof.db.prepared).
_KEY_BY_HASH = Prepared(select(api_key).where(api_key.c.key_sha256 == bindparam("key_sha256")))


def key_by_hash(connection: Connection, key_sha256: str) -> dict[str, Any] | None:
    return _KEY_BY_HASH.first(connection, {"key_sha256": key_sha256})


def revoked_at_by_id(connection: Connection, key_id: str) -> tuple[Any, ...] | None:
    """The key's `revoked_at` as a one-column row, or None if there is no such key."""
    row = connection.execute(select(api_key.c.revoked_at).where(api_key.c.id == key_id)).first()
    return None if row is None else tuple(row)


def key_by_id(connection: Connection, key_id: str) -> Row[Any] | None:
    return connection.execute(select(api_key).where(api_key.c.id == key_id)).first()


def list_keys(connection: Connection, *, include_revoked: bool) -> list[Row[Any]]:
    query = select(api_key).order_by(api_key.c.created_at.desc(), api_key.c.id.desc())
    if not include_revoked:
        query = query.where(api_key.c.revoked_at.is_(None))
    return list(connection.execute(query))


def set_revoked(connection: Connection, key_id: str, moment: datetime) -> None:
    connection.execute(update(api_key).where(api_key.c.id == key_id).values(revoked_at=moment))


def set_last_used(connection: Connection, key_id: str, moment: datetime) -> None:
    connection.execute(update(api_key).where(api_key.c.id == key_id).values(last_used_at=moment))
