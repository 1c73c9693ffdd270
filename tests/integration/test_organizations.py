"""Organizations are created on first use of their name (`uprof keys create --organization NAME`), also
when two first uses race on PostgreSQL, where writers do not wait for each other until they collide."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, func, select, text

from uprof.accounts import service as accounts
from uprof.accounts.models import organization
from uprof.db.unit_of_work import Database


def organizations_named(database: Database, name: str) -> int:
    query = select(func.count()).select_from(organization).where(organization.c.name == name)
    return int(database.run(lambda c: c.scalar(query), write=False) or 0)


def test_a_name_is_created_once_then_found(database: Database) -> None:
    name = f"org-{uuid.uuid4()}"
    first = database.run(lambda c: accounts.organization_for(c, name), write=True)
    assert database.run(lambda c: accounts.organization_for(c, name), write=True) == first
    assert organizations_named(database, name) == 1


def test_two_first_uses_at_once_share_one_organization(database: Database) -> None:
    """The second transaction's insert waits on the first one's uncommitted row; once that commits, it
    must use the winner's organization instead of failing on the unique name."""
    if database.is_sqlite:
        pytest.skip("SQLite's writers are serial (BEGIN IMMEDIATE): the second one sees the first one's row")
    name = f"org-{uuid.uuid4()}"
    pool = ThreadPoolExecutor(1)
    try:
        with database.unit_of_work(write=True) as first:
            first_id = accounts.organization_for(first, name)
            second = pool.submit(lambda: database.run(lambda c: key_in(c, name), write=True))
            wait_for_a_lock_wait(database)
            assert not second.done()
            # Leaving the block commits the first transaction; the second one's insert then fails.
        second_id, key_organization = second.result(timeout=10)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert second_id == key_organization == first_id
    assert organizations_named(database, name) == 1


def key_in(connection: Connection, name: str) -> tuple[str, str]:
    """What `uprof keys create --organization NAME` does, then the organization its key belongs to."""
    created = accounts.create_key(connection, name="racing", organization_name=name)
    key_organization = connection.scalar(text("SELECT organization_id FROM api_key WHERE id = :id"), {"id": created.id})
    return accounts.organization_for(connection, name), str(key_organization)


def wait_for_a_lock_wait(database: Database) -> None:
    """Return once some session of this database waits for a lock (the second insert, on the name)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while database.run(lambda c: c.scalar(waiting), write=False) == 0:
        assert time.monotonic() < deadline, "the second transaction never waited for the first"
        time.sleep(0.02)
