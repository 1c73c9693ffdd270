"""Integration fixtures: a fresh organization per test, and a brand-new empty database when one is needed."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection

from tests.conftest import POSTGRES_ADMIN_URL
from uprof.accounts import service as accounts
from uprof.db.engine import make_engine
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
    if request.param == "sqlite":
        database = Database(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
        yield database
        database.engine.dispose()
        return
    name = f"uprof_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(make_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"))
    yield database
    database.engine.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
