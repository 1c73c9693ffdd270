"""Who holds each presented key, remembered between requests while nothing can have changed it.

Every API request authenticates, and on SQLite the lookup's transaction was a third of a retrieve
(docs/performance.md). The event loop keeps one SQLite connection, and SQLite tells that connection
whether any other connection — another thread, `uprof keys revoke`, another server process — has
committed since it last asked (`Database.commits_by_others`). Until one has, a key's row is what it
was: a revoked key is refused by the first request after the revocation commits, as before. The one
change the kept connection makes itself, a key's `last_used_at`, is stored by `authenticate` here.

Where there is no such signal (PostgreSQL, worker threads) every request looks its key up.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from uprof.accounts import service as accounts
from uprof.accounts.service import Principal
from uprof.db.unit_of_work import Database

# Only accepted keys are remembered, so the bound is only reached with this many live keys in use.
MAX_REMEMBERED = 10_000


class PrincipalCache:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._seen: tuple[int, int] | None = None  # the database's commits_by_others when the entries were read
        self._by_digest: dict[str, Principal] = {}

    def authenticate(self, key: str, now: datetime) -> Principal | None:
        """The principal for `key`, or None if it is unknown or revoked. A use at `now` is stored
        when the key's `last_used_at` is due for it (accounts.needs_last_used_refresh)."""
        digest = accounts.hash_key(key)
        version = self.database.commits_by_others()
        principal = self._by_digest.get(digest) if version is not None and version == self._seen else None
        if principal is None:
            if version != self._seen:
                self._by_digest.clear()
                self._seen = version
            principal = self.database.run(lambda c: accounts.authenticate_digest(c, digest), write=False)
            if principal is None:
                return None
        if accounts.needs_last_used_refresh(principal, now):
            key_id = principal.key_id
            self.database.run(lambda connection: accounts.record_use(connection, key_id, now), write=True)
            principal = dataclasses.replace(principal, last_used_at=now)
        if version is not None:
            if digest not in self._by_digest and len(self._by_digest) >= MAX_REMEMBERED:
                self._by_digest.clear()
            self._by_digest[digest] = principal
        return principal
