"""PostgreSQL's principal cache: a remembered key is checked again in the first round trip of every
request's step (db/folded.py), so a revocation committed anywhere before the request is seen by it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import ProgrammingError

from uprof.accounts import service as accounts
from uprof.accounts.principals import KeyNoLongerValid, PrincipalCache
from uprof.accounts.service import CreatedKey, Principal
from uprof.db.engine import make_engine
from uprof.db.threads import DatabaseThreads
from uprof.db.unit_of_work import Database
from uprof.timestamps import utc_now

T = TypeVar("T")


@pytest.fixture
def postgresql(database: Database) -> Iterator[Database]:
    if database.is_in_process:
        pytest.skip("SQLite's cache is validated by PRAGMA data_version (test_principal_cache.py)")
    yield database


@pytest.fixture
def steps(postgresql: Database) -> Iterator[Callable[[Callable[[], T]], T]]:
    """Runs a function as a request's step on a database thread, as the server does."""
    loop = asyncio.new_event_loop()
    threads = DatabaseThreads(postgresql, count=1)

    def step(work: Callable[[], T]) -> T:
        return loop.run_until_complete(threads.run(work))

    yield step
    loop.run_until_complete(threads.stop())
    loop.close()


def _revoke_elsewhere(database: Database, key_id: str) -> None:
    """As `uprof keys revoke` or another server process would, on a connection of its own."""
    elsewhere = Database(make_engine(str(database.engine.url)))
    try:
        assert elsewhere.run(lambda connection: accounts.revoke_key(connection, key_id), write=True)
    finally:
        elsewhere.engine.dispose()


def _remembered(database: Database, steps: Callable[..., object]) -> tuple[CreatedKey, PrincipalCache]:
    """A new key, and a cache that accepted it in one request's step (so later steps remember it)."""
    key = database.run(lambda connection: accounts.create_key(connection, name="checked"), write=True)
    cache = PrincipalCache(database)
    steps(lambda: cache.authenticate(key.key, utc_now()))
    return key, cache


def _units(database: Database) -> list[int]:
    ended: list[int] = []
    database.add_end_listener(lambda _info: ended.append(1))
    return ended


def _select_one(connection: Connection) -> int:
    return int(connection.scalar(text("SELECT 1")))


def test_a_remembered_key_costs_no_round_trip_of_its_own(postgresql: Database, steps: Callable[..., object]) -> None:
    key = postgresql.run(lambda connection: accounts.create_key(connection, name="checked"), write=True)
    cache = PrincipalCache(postgresql)

    def request() -> Principal | None:
        principal = cache.authenticate(key.key, utc_now())
        postgresql.run(_select_one, write=False)
        return principal

    first = steps(request)
    units = _units(postgresql)
    again = steps(request)
    assert first is not None and again == first
    assert len(units) == 1  # only the request's own unit: the key's check travelled with its statement


def test_a_key_revoked_elsewhere_is_refused_by_the_next_request(
    postgresql: Database, steps: Callable[..., object]
) -> None:
    key = postgresql.run(lambda connection: accounts.create_key(connection, name="checked"), write=True)
    cache = PrincipalCache(postgresql)
    reached: list[int] = []

    def request() -> None:
        assert cache.authenticate(key.key, utc_now()) is not None
        reached.append(postgresql.run(_select_one, write=False))

    steps(request)
    _revoke_elsewhere(postgresql, key.id)
    with pytest.raises(KeyNoLongerValid):
        steps(request)
    assert reached == [1]  # the statement's result never reached the request
    assert steps(lambda: cache.authenticate(key.key, utc_now())) is None  # forgotten, then looked up


def test_a_request_that_runs_no_statement_still_checks_the_key(
    postgresql: Database, steps: Callable[..., object]
) -> None:
    key, cache = _remembered(postgresql, steps)
    _revoke_elsewhere(postgresql, key.id)

    def refused_by_a_header_check() -> None:
        assert cache.authenticate(key.key, utc_now()) is not None
        raise ValueError("anthropic-version: header is required")

    with pytest.raises(KeyNoLongerValid):  # the key's refusal comes first, as check 2 precedes check 5
        steps(refused_by_a_header_check)


def test_a_write_by_a_revoked_key_is_rolled_back(postgresql: Database, steps: Callable[..., object]) -> None:
    key, cache = _remembered(postgresql, steps)
    victim = postgresql.run(lambda connection: accounts.create_key(connection, name="victim"), write=True)
    _revoke_elsewhere(postgresql, key.id)

    def revoke_another_key() -> None:
        assert cache.authenticate(key.key, utc_now()) is not None
        postgresql.run(lambda connection: accounts.revoke_key(connection, victim.id), write=True)

    with pytest.raises(KeyNoLongerValid):
        steps(revoke_another_key)
    assert postgresql.run(lambda connection: accounts.authenticate(connection, victim.key), write=False) is not None


def test_a_failing_statement_leaves_the_connection_usable(postgresql: Database, steps: Callable[..., object]) -> None:
    key, cache = _remembered(postgresql, steps)

    def bad_statement() -> None:
        assert cache.authenticate(key.key, utc_now()) is not None
        postgresql.run(lambda connection: connection.execute(text("SELECT no_such_column FROM api_key")), write=False)

    with pytest.raises(ProgrammingError):
        steps(bad_statement)

    def good_statement() -> int:
        assert cache.authenticate(key.key, utc_now()) is not None
        return postgresql.run(_select_one, write=False)

    assert steps(good_statement) == 1
    assert steps(good_statement) == 1


def test_outside_a_request_every_call_looks_the_key_up(postgresql: Database) -> None:
    key = postgresql.run(lambda connection: accounts.create_key(connection, name="checked"), write=True)
    cache = PrincipalCache(postgresql)
    assert cache.authenticate(key.key, utc_now()) is not None
    units = _units(postgresql)
    assert cache.authenticate(key.key, utc_now()) is not None
    assert len(units) == 1
    _revoke_elsewhere(postgresql, key.id)
    assert cache.authenticate(key.key, utc_now()) is None


def test_a_failed_statement_still_reports_the_revocation(postgresql: Database, steps: Callable[..., object]) -> None:
    """A caller may carry on after a failed statement (a unique violation, say): the check's answer,
    sent before it, still refuses the key."""
    key, cache = _remembered(postgresql, steps)
    _revoke_elsewhere(postgresql, key.id)

    def carry_on_after_a_failure() -> int:
        assert cache.authenticate(key.key, utc_now()) is not None
        with contextlib.suppress(ProgrammingError):
            postgresql.run(
                lambda connection: connection.execute(text("SELECT no_such_column FROM api_key")), write=False
            )
        return postgresql.run(_select_one, write=False)

    with pytest.raises(KeyNoLongerValid):
        steps(carry_on_after_a_failure)


def test_a_refusal_caught_by_the_step_is_raised_again(postgresql: Database, steps: Callable[..., object]) -> None:
    key, cache = _remembered(postgresql, steps)
    _revoke_elsewhere(postgresql, key.id)

    def swallow_everything() -> str:
        assert cache.authenticate(key.key, utc_now()) is not None
        try:
            postgresql.run(_select_one, write=False)
        except Exception:
            return "carried on"
        return "never refused"

    with pytest.raises(KeyNoLongerValid):
        steps(swallow_everything)
