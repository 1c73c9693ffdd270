"""Console sign-in (docs/reference/provider.md §6): an admin key opens a 12-hour session kept only as a hash.

The session ends early when its key is revoked: every request checks the key again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from uprof.accounts import service as accounts
from uprof.console import repository

LIFETIME = timedelta(hours=12)


class SignInRefused(Exception):
    """The presented key is unknown, revoked, or not an admin key."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ConsoleSession:
    token_sha256: str
    key_id: str
    organization_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie value: handed to the browser once, stored only as its hash
    session: ConsoleSession


@dataclass(frozen=True)
class SessionCheck:
    """A live session, or the hash of one that has ended and should be deleted."""

    session: ConsoleSession | None
    ended: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def sign_in(connection: Connection, key: str, now: datetime) -> NewSession:
    """Open a session for an admin key. Raises SignInRefused."""
    if not key.strip():
        raise SignInRefused(
            400,
            "Enter an admin API key (sk-uprof-admin-…): the server printed one on its first start, and"
            " `uprof keys create --admin` makes another.",
        )
    principal = accounts.authenticate(connection, key.strip())
    if principal is None:
        raise SignInRefused(401, "This key is not valid. Check that you pasted all of it and that it was not revoked.")
    if not principal.is_admin:
        raise SignInRefused(403, "This key is not an admin key. The console needs an admin API key (sk-uprof-admin-…).")
    repository.delete_expired(connection, now)
    token = secrets.token_urlsafe(32)
    session = ConsoleSession(
        token_sha256=hash_token(token),
        key_id=principal.key_id,
        organization_id=principal.organization_id,
        csrf_token=secrets.token_hex(32),
        expires_at=now + LIFETIME,
    )
    repository.insert_session(
        connection,
        token_sha256=session.token_sha256,
        api_key_id=session.key_id,
        csrf_token=session.csrf_token,
        created_at=now,
        expires_at=session.expires_at,
    )
    return NewSession(token, session)


def check(connection: Connection, token: str, now: datetime) -> SessionCheck:
    """The session a cookie names, if it is live and its key is still an unrevoked admin key."""
    row = repository.session_with_key(connection, hash_token(token))
    if row is None:
        return SessionCheck(None)
    if row.expires_at <= now or row.revoked_at is not None or row.kind != "admin":
        return SessionCheck(None, ended=row.token_sha256)
    return SessionCheck(
        ConsoleSession(row.token_sha256, row.api_key_id, row.organization_id, row.csrf_token, row.expires_at)
    )


def end(connection: Connection, token_sha256: str) -> None:
    """Sign out, or forget a session that ended."""
    repository.delete_session(connection, token_sha256)
