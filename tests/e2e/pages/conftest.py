"""Fixtures of the end-user page, console and browser tests: a fresh organization per test, with a
client for its standard key (the profile API) and one for its admin key (the Admin API)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.pages.support import Org, new_org
from uprof.db.unit_of_work import Database


@pytest.fixture
def org(database: Database) -> Org:
    return new_org(database)


@pytest.fixture
def api(server: Server, org: Org) -> Iterator[httpx.Client]:
    with org.api(server) as client:
        yield client


@pytest.fixture
def admin(server: Server, org: Org) -> Iterator[httpx.Client]:
    with org.api(server, admin=True) as client:
        yield client
