"""Brand-new test databases on either backend: one helper for every fixture that needs its own."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from uprof.db import migrate
from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database

POSTGRES_ADMIN_URL = os.environ.get("UPROF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@contextmanager
def fresh_database(backend: str, folder: Path, *, migrated: bool = True) -> Iterator[str]:
    """The URL of a database nothing has touched (migrated unless told not to); a PostgreSQL one is
    created for the caller and dropped afterwards, a SQLite one is a new file in `folder`."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'uprof-{secrets.token_hex(4)}.db'}"
        if migrated:
            migrate_url(url)
        yield url
        return
    name = f"uprof_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        if migrated:
            migrate_url(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_url(url: str) -> None:
    with opened(url) as database:
        migrate.upgrade(database)


@contextmanager
def opened(url: str) -> Iterator[Database]:
    database = Database(make_engine(url))
    try:
        yield database
    finally:
        database.engine.dispose()
