"""Fixtures shared by every test layer: a real database per backend (SQLite and PostgreSQL).

Every test that takes `database_url` runs twice, once per backend. PostgreSQL gets a fresh
database per test session, dropped at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from uprof.db import migrate
from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database

POSTGRES_ADMIN_URL = os.environ.get("UPROF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, otherwise empty database for this session, on each backend in turn."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "uprof.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    name = f"uprof_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url)
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str) -> None:
    database = Database(make_engine(url))
    migrate.upgrade(database)
    database.engine.dispose()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.engine.dispose()
