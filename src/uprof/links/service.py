"""Enrollment and portal links: a random token handed out once, stored only as its SHA-256."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row

from uprof.ids import new_link_token
from uprof.links import repository

ENROLLMENT = "enrollment"
PORTAL = "portal"
PATH_BY_KIND = {ENROLLMENT: "enroll", PORTAL: "portal"}


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime


class LinkState(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    connection: Connection,
    *,
    organization_id: str,
    profile_id: str,
    kind: str,
    now: datetime,
    lifetime_seconds: int,
    base_url: str,
) -> IssuedLink:
    """Create a new, independent link for the profile (the caller has checked that it exists)."""
    token = new_link_token()
    expires_at = now + timedelta(seconds=lifetime_seconds)
    repository.insert_link(
        connection,
        token_sha256=hash_token(token),
        kind=kind,
        organization_id=organization_id,
        user_profile_id=profile_id,
        created_at=now,
        expires_at=expires_at,
    )
    return IssuedLink(url=f"{base_url}/{PATH_BY_KIND[kind]}/{token}", expires_at=expires_at)


def resolve(connection: Connection, token: str, kind: str, now: datetime) -> tuple[LinkState, Row[Any] | None]:
    """Look a presented token up: valid, unknown (never issued, or its profile deleted), expired or used."""
    row = repository.get_by_hash(connection, hash_token(token))
    if row is None or row.kind != kind:
        return LinkState.UNKNOWN, None
    if row.used_at is not None:
        return LinkState.USED, row
    if row.expires_at <= now:
        return LinkState.EXPIRED, row
    return LinkState.VALID, row


def consume(connection: Connection, token: str, kind: str, now: datetime) -> tuple[LinkState, Row[Any] | None]:
    """Use up a link inside the caller's unit of work: VALID (and the link) when this call consumed it.

    The conditional update makes two concurrent submissions through one link race for a single
    row: exactly one of them sees VALID; if the caller's transaction rolls back, the link is live again.
    """
    state, row = resolve(connection, token, kind, now)
    if state is not LinkState.VALID or row is None:
        return state, row
    if not repository.mark_used(connection, row.token_sha256, now):
        return LinkState.USED, row
    return LinkState.VALID, row
