"""Use cases for organizations and API keys: bootstrap, create, list, revoke, authenticate."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError

from uprof.accounts import repository
from uprof.ids import new_id, random_base62
from uprof.timestamps import utc_now

DEFAULT_ORGANIZATION_NAME = "default"
WORKSPACE_ID = re.compile(r"wrkspc_[A-Za-z0-9]{1,64}")
LAST_USED_REFRESH = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the accepted key and what it may reach."""

    key_id: str
    organization_id: str
    workspace_id: str | None
    kind: str  # "standard", "workspace" or "admin"
    last_used_at: datetime | None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


@dataclass(frozen=True)
class CreatedKey:
    key: str  # shown once, never stored
    id: str
    kind: str
    workspace_id: str | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def ensure_default_organization(connection: Connection) -> str:
    """Return the default organization's ID, creating it (random UUID) the first time."""
    organization_id = repository.default_organization_id(connection)
    if organization_id is None:
        organization_id = _create_organization(connection, DEFAULT_ORGANIZATION_NAME, is_default=True)
    return organization_id


def organization_for(connection: Connection, name: str | None) -> str:
    """The organization named `name` (created on first use), or the default one."""
    if name is None:
        return ensure_default_organization(connection)
    organization_id = repository.organization_id_by_name(connection, name)
    if organization_id is None:
        organization_id = _create_organization(connection, name, is_default=False)
    return organization_id


def _create_organization(connection: Connection, name: str, *, is_default: bool) -> str:
    """Insert the organization named `name` and return its ID, or the ID of the one another
    transaction created under that name meanwhile.

    On PostgreSQL two first uses of a name can both find no row and both insert; the unique name
    makes the second insert wait for the first transaction and then fail. The savepoint keeps that
    failure from aborting the caller's transaction, which then reads the winner's row. (SQLite's
    writers are serial, so there the lookup before already saw it.)
    """
    organization_id = str(uuid.uuid4())
    try:
        with connection.begin_nested():
            repository.insert_organization(
                connection, id=organization_id, name=name, is_default=is_default, created_at=utc_now()
            )
    except IntegrityError:
        if is_default:
            existing = repository.default_organization_id(connection)
        else:
            existing = repository.organization_id_by_name(connection, name)
        if existing is None:  # the conflict was not the name: not ours to hide
            raise
        return existing
    return organization_id


def has_any_key(connection: Connection) -> bool:
    return repository.any_key_exists(connection)


def create_key(
    connection: Connection,
    *,
    name: str = "",
    admin: bool = False,
    workspace_id: str | None = None,
    organization_name: str | None = None,
) -> CreatedKey:
    """Create an API key and return it; only its SHA-256 and last four characters are stored."""
    organization_id = organization_for(connection, organization_name)
    if workspace_id is not None and not repository.workspace_exists(connection, organization_id, workspace_id):
        repository.insert_workspace(connection, organization_id=organization_id, id=workspace_id, created_at=utc_now())
    kind = "admin" if admin else "workspace" if workspace_id else "standard"
    key = ("sk-uprof-admin-" if admin else "sk-uprof-") + random_base62(48)
    key_id = new_id("apikey_")
    repository.insert_key(
        connection,
        id=key_id,
        organization_id=organization_id,
        workspace_id=workspace_id,
        name=name,
        kind=kind,
        key_sha256=hash_key(key),
        hint=key[-4:],
        created_at=utc_now(),
    )
    return CreatedKey(key=key, id=key_id, kind=kind, workspace_id=workspace_id)


def list_keys(connection: Connection, *, include_revoked: bool = False) -> list[Row[Any]]:
    return repository.list_keys(connection, include_revoked=include_revoked)


def revoke_key(connection: Connection, key_id: str) -> bool | None:
    """Revoke a key. Returns True if revoked now, False if it already was, None if there is no such key."""
    row = repository.key_by_id(connection, key_id)
    if row is None:
        return None
    if row.revoked_at is not None:
        return False
    repository.set_revoked(connection, key_id, utc_now())
    return True


def authenticate(connection: Connection, key: str) -> Principal | None:
    """The principal for a presented key, or None if the key is unknown or revoked.

    The lookup is by SHA-256 digest: an index probe on a value an attacker cannot steer toward a
    stored hash, so no secret-dependent comparison happens in Python.
    """
    return authenticate_digest(connection, hash_key(key))


def authenticate_digest(connection: Connection, key_sha256: str) -> Principal | None:
    """`authenticate` for a key already hashed with `hash_key`."""
    row = repository.key_by_hash(connection, key_sha256)
    if row is None or row["revoked_at"] is not None:
        return None
    return Principal(
        key_id=row["id"],
        organization_id=row["organization_id"],
        workspace_id=row["workspace_id"],
        kind=row["kind"],
        last_used_at=row["last_used_at"],
    )


def needs_last_used_refresh(principal: Principal, now: datetime) -> bool:
    return principal.last_used_at is None or now - principal.last_used_at >= LAST_USED_REFRESH


def record_use(connection: Connection, key_id: str, now: datetime) -> None:
    repository.set_last_used(connection, key_id, now)


def workspace_exists(connection: Connection, organization_id: str, workspace_id: str) -> bool:
    return repository.workspace_exists(connection, organization_id, workspace_id)
