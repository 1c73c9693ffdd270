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
            principal = cache.authenticate(key.key, utc_now())
            assert principal is not None and principal.key_id == key.id
            assert cache.authenticate(key.key, utc_now()) == principal
            assert elsewhere.run(lambda connection: accounts.revoke_key(connection, key.id), write=True)
            assert cache.authenticate(key.key, utc_now()) is None
            assert cache.authenticate(key.key + "x", utc_now()) is None
    finally:
        elsewhere.engine.dispose()


def test_sqlite_remembers_until_another_connection_commits(database: Database) -> None:
    key = _new_key(database)
    cache = PrincipalCache(database)
    lookups = _lookups(database)
    now = utc_now()
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        assert cache.authenticate(key.key, now) is not None  # looks the key up and stores its first use
        first = len(lookups)
        for _ in range(2):
            assert cache.authenticate(key.key, now) is not None
        expected = 0 if database.is_in_process else 2
        assert len(lookups) - first == expected
        # Any commit by another connection (here: a new key) makes the next request look again.
        elsewhere = Database(make_engine(str(database.engine.url)))
        try:
            _new_key(elsewhere)
        finally:
            elsewhere.engine.dispose()
        assert cache.authenticate(key.key, now) is not None
        assert len(lookups) - first == expected + 1


def test_a_due_use_is_stored_once_and_remembered(database: Database) -> None:
    key = _new_key(database)
    cache = PrincipalCache(database)
    never = database.run(lambda connection: accounts.authenticate(connection, key.key), write=False)
    assert never is not None and never.last_used_at is None
    lookups = _lookups(database)
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        used = utc_now() - timedelta(seconds=5)
        principal = cache.authenticate(key.key, used)
        assert principal is not None and principal.last_used_at == used
        writes = len(lookups)
        again = cache.authenticate(key.key, used + timedelta(seconds=1))
        assert again is not None and again.last_used_at == used  # not due again within the refresh period
        assert len(lookups) - writes == (0 if database.is_in_process else 1)  # no second write
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
        assert cache.authenticate(key.key, utc_now()) is not None
    elsewhere = Database(make_engine(str(database.engine.url)))
    try:
        assert elsewhere.run(lambda connection: accounts.revoke_key(connection, key.id), write=True)
    finally:
        elsewhere.engine.dispose()
    database.engine.dispose()  # the next kept connection is a new one, its counter started afresh
    with database.connection_kept_for_this_thread() if database.is_in_process else _nothing():
        assert cache.authenticate(key.key, utc_now()) is None
