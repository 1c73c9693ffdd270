"""Who holds each presented key, remembered between requests without ever missing a revocation.

Every API request authenticates. A revoked key must be refused by the very next request of every
process, whoever revoked it (`uprof keys revoke`, the Admin API, another server process).

SQLite: the lookup's transaction was a third of a retrieve (docs/performance.md). The event loop
keeps one SQLite connection, and SQLite tells that connection whether any other connection —
another thread, `uprof keys revoke`, another server process — has committed since it last asked
(`Database.commits_by_others`). Until one has, a key's row is what it was: a revoked key is refused
by the first request after the revocation commits, as before. The one change the kept connection
makes itself, a key's `last_used_at`, is stored by `authenticate` here.

PostgreSQL: the lookup was a round trip of its own, a quarter of a retrieve's CPU. A remembered key
is accepted provisionally and its row is checked again in the request's own first round trip
(db/folded.py): the check, sent just before the request's first statement, sees every revocation
committed before the request arrived, and a revoked key makes that statement raise
`KeyNoLongerValid` (answered 401) before the request has used its result or committed anything.

Outside those (PostgreSQL outside a request's step, SQLite worker threads) every call looks its key up.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from uprof.accounts import repository
from uprof.accounts import service as accounts
from uprof.accounts.service import Principal
from uprof.db import folded
from uprof.db.unit_of_work import Database

# Only accepted keys are remembered, so the bound is only reached with this many live keys in use.
MAX_REMEMBERED = 10_000
# The check that travels with a PostgreSQL request's first statement (psycopg's placeholders).
_STILL_VALID_SQL = "SELECT revoked_at FROM api_key WHERE id = %(key_id)s"


class KeyNoLongerValid(Exception):
    """A remembered key was revoked (or deleted) before the request that presented it arrived."""


class PrincipalCache:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._seen: tuple[int, int] | None = None  # the database's commits_by_others when the entries were read
        self._by_digest: dict[str, Principal] = {}
        self._checked_by_digest: dict[str, Principal] = {}  # PostgreSQL: accepted, checked again per request

    def authenticate(self, key: str, now: datetime) -> Principal | None:
        """The principal for `key`, or None if it is unknown or revoked. A use at `now` is stored
        when the key's `last_used_at` is due for it (accounts.needs_last_used_refresh)."""
        digest = accounts.hash_key(key)
        if not self.database.is_sqlite:
            return self._authenticate_checked(digest, now)
        version = self.database.commits_by_others()
        principal = self._by_digest.get(digest) if version is not None and version == self._seen else None
        if principal is None:
            if version != self._seen:
                self._by_digest.clear()
                self._seen = version
            principal = self._look_up(digest, now)
            if principal is None:
                return None
        else:
            principal = self._record_use(principal, now)
        if version is not None:
            _remember(self._by_digest, digest, principal)
        return principal

    def _authenticate_checked(self, digest: str, now: datetime) -> Principal | None:
        if not folded.active():
            return self._look_up(digest, now)
        principal = self._checked_by_digest.get(digest)
        if principal is None or accounts.needs_last_used_refresh(principal, now):
            principal = self._look_up(digest, now)
            if principal is not None:
                _remember(self._checked_by_digest, digest, principal)
            else:
                self._checked_by_digest.pop(digest, None)
            return principal

        def judge(row: Any) -> None:
            if row is None or row[0] is not None:
                self._checked_by_digest.pop(digest, None)
                raise KeyNoLongerValid(principal.key_id)

        def run_alone() -> None:
            judge(self.database.run(lambda connection: repository.revoked_at_by_id(connection, key_id), write=False))

        key_id = principal.key_id
        folded.check_with_next(_STILL_VALID_SQL, {"key_id": key_id}, judge, run_alone)
        return principal

    def _look_up(self, digest: str, now: datetime) -> Principal | None:
        principal = self.database.run(lambda c: accounts.authenticate_digest(c, digest), write=False)
        return None if principal is None else self._record_use(principal, now)

    def _record_use(self, principal: Principal, now: datetime) -> Principal:
        if not accounts.needs_last_used_refresh(principal, now):
            return principal
        key_id = principal.key_id
        self.database.run(lambda connection: accounts.record_use(connection, key_id, now), write=True)
        return dataclasses.replace(principal, last_used_at=now)


def _remember(remembered: dict[str, Principal], digest: str, principal: Principal) -> None:
    if digest not in remembered and len(remembered) >= MAX_REMEMBERED:
        remembered.clear()
    remembered[digest] = principal
