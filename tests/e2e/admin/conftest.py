"""Fixtures of the Admin API tests: each test gets an organization of its own with a standard key (the
platform: creates profiles, reads them under R1 and GA) and an admin key (the operator). Admin requests
carry no `anthropic-version` (optional on `/v1/admin/…`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.admin.support import Operator, new_operator
from tests.e2e.conftest import Server
from uprof.db.unit_of_work import Database


@pytest.fixture
def op(server: Server, database: Database) -> Iterator[Operator]:
    operator, clients = new_operator(server, database)
    yield operator
    for client in clients:
        client.close()
