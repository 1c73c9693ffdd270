"""Fixtures of the `uprof` command tests: an untouched database on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched yet, on each backend in turn; a PostgreSQL one is dropped afterwards."""
    with fresh_database(request.param, tmp_path, migrated=False) as url:
        if request.param == "sqlite":
            # An empty file is an empty SQLite database; one that does not exist, commands other than
            # serve, db upgrade and import refuse (test_missing_database.py).
            Path(url.removeprefix("sqlite:///")).touch()
        yield url
