"""The principal cache: a key's principal is remembered only while no other connection has committed,
so a revocation from anywhere is seen by the next lookup; on PostgreSQL nothing is remembered."""

from __future__ import annotations

from contextlib import nullcontext as _nothing
from datetime import timedelta

from uprof.accounts import service as accounts
from uprof.accounts.principals import PrincipalCache
from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database
from uprof.timestamps import utc_now


def _new_key(database: Database) -> accounts.CreatedKey:
    return database.run(lambda connection: accounts.create_key(connection, name="cache"), write=True)


def _lookups(database: Database) -> list[int]:
    """Counts the key lookups that reach the database (one unit of work each)."""
    ended: list[int] = []
    database.add_end_listener(lambda _info: ended.append(1))
    return ended


def test_a_key_revoked_by_another_process_is_refused_at_once(database: Database) -> None:
    key = _new_key(database)
    elsewhere = Database(make_engine(str(database.engine.url)))  # as `uprof keys revoke` would, in its own process
    cache = PrincipalCache(database)
    try:
        with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
            principal = cache.authenticate(key.key)
            assert principal is not None and principal.key_id == key.id
            assert cache.authenticate(key.key) == principal
            assert elsewhere.run(lambda connection: accounts.revoke_key(connection, key.id), write=True)
            assert cache.authenticate(key.key) is None
            assert cache.authenticate(key.key + "x") is None
    finally:
        elsewhere.engine.dispose()


def test_sqlite_remembers_until_another_connection_commits(database: Database) -> None:
    key = _new_key(database)
    cache = PrincipalCache(database)
    lookups = _lookups(database)
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        for _ in range(3):
            assert cache.authenticate(key.key) is not None
        expected = 1 if database.is_in_process else 3
        assert len(lookups) == expected
        # Any commit by another connection (here: a new key) makes the next request look again.
        elsewhere = Database(make_engine(str(database.engine.url)))
        try:
            _new_key(elsewhere)
        finally:
            elsewhere.engine.dispose()
        assert cache.authenticate(key.key) is not None
        assert len(lookups) == expected + 1


def test_record_use_is_stored_and_remembered(database: Database) -> None:
    key = _new_key(database)
    cache = PrincipalCache(database)
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        principal = cache.authenticate(key.key)
        assert principal is not None and principal.last_used_at is None
        used = utc_now() - timedelta(seconds=5)
        cache.record_use(principal, used)
        again = cache.authenticate(key.key)
        assert again is not None and again.last_used_at == used
        assert not accounts.needs_last_used_refresh(again, used + timedelta(seconds=1))
    stored = database.run(lambda connection: accounts.authenticate(connection, key.key), write=False)
    assert stored is not None and stored.last_used_at == used


def test_a_replaced_kept_connection_does_not_revive_a_revoked_key(database: Database) -> None:
    """SQLite's data_version counts per connection: a new kept connection may report the number the
    old one last did, so the cache must not take it for "nothing changed"."""
    key = _new_key(database)
    cache = PrincipalCache(database)
    database.engine.dispose()  # both kept connections below are new ones
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        assert cache.authenticate(key.key) is not None
    elsewhere = Database(make_engine(str(database.engine.url)))
    try:
        assert elsewhere.run(lambda connection: accounts.revoke_key(connection, key.id), write=True)
    finally:
        elsewhere.engine.dispose()
    database.engine.dispose()  # the next kept connection is a new one, its counter started afresh
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        assert cache.authenticate(key.key) is None
