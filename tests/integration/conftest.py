"""Integration fixtures: a fresh organization per test, and a brand-new empty database when one is needed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from tests.databases import fresh_database, opened
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database


@pytest.fixture
def organization_id(database: Database) -> str:
    """A new organization of its own, so a test sees no other test's profiles."""
    name = str(uuid.uuid4())

    def work(connection: Connection) -> str:
        accounts.create_key(connection, organization_name=name)
        return accounts.organization_for(connection, name)

    return database.run(work, write=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database that has never been migrated, on each backend in turn; dropped afterwards."""
    with fresh_database(request.param, tmp_path, migrated=False) as url, opened(url) as database:
        yield database
