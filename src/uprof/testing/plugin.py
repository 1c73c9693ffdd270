"""The pytest plugin `uprof` (entry point `pytest11`; `-p no:uprof` turns it off): docs/testing.md §2."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from uprof.testing.org import Org
from uprof.testing.server import TestServer

DATABASE_VARIABLE = "UPROF_TEST_DATABASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("uprof", "uprof test double")
    group.addoption(
        "--uprof-database-url",
        default=None,
        help=f"database of the uprof_server fixture (default: ${DATABASE_VARIABLE}, else a temporary SQLite file)",
    )


@pytest.fixture(scope="session")
def uprof_server(pytestconfig: pytest.Config) -> Iterator[TestServer]:
    """One `uprof serve --test-controls` for the session on 127.0.0.1; `.base_url`."""
    database_url = pytestconfig.getoption("--uprof-database-url") or os.environ.get(DATABASE_VARIABLE) or None
    server = TestServer.start(database_url)
    yield server
    server.stop()


@pytest.fixture
def uprof(uprof_server: TestServer) -> Iterator[Org]:
    """A fresh organization on the session's server."""
    created = uprof_server.new_organization()
    org = Org(uprof_server.base_url, created["organization_id"], created["api_key"], created["admin_key"])
    yield org
    failures = org.webhooks.failures() if "webhooks" in org.__dict__ else []
    org.close()
    assert not failures, f"webhook deliveries failed verification: {failures}"
