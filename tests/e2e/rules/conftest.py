"""Fixtures of the rule tests.

Tests that only send requests the server must refuse share one organization per module: each
asserts that nothing stored changed, so each starts from the same state, and none pays for a new
organization and profile. Tests that change anything use the fresh_* fixtures (a new organization
per test).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, Tenant
from tests.e2e.rules.support import FULL_PROFILE, Organization, Snapshot, connect, headers, new_organization, stored
from uprof.db.unit_of_work import Database


@pytest.fixture(scope="module")
def shared(server: Server, database: Database) -> Iterator[Organization]:
    with new_organization(server, database) as organization:
        initial = stored(database, organization.organization_id)
        yield organization
        assert stored(database, organization.organization_id) == initial, "a test changed the shared organization"


@pytest.fixture
def api(shared: Organization) -> httpx.Client:
    return shared.client


@pytest.fixture
def state(database: Database, shared: Organization) -> Snapshot:
    """A function returning everything the organization has stored, to compare before and after a request."""
    return lambda: stored(database, shared.organization_id)


@pytest.fixture
def profile(shared: Organization) -> dict[str, Any]:
    return shared.profile


@pytest.fixture
def fresh_api(server: Server, tenant: Tenant) -> Iterator[httpx.Client]:
    with connect(server, tenant.key) as client:
        yield client


@pytest.fixture
def fresh_state(database: Database, tenant: Tenant) -> Snapshot:
    return lambda: stored(database, tenant.organization_id)


@pytest.fixture
def fresh_profile(fresh_api: httpx.Client) -> dict[str, Any]:
    response = fresh_api.post("/v1/user_profiles", json=FULL_PROFILE, headers=headers())
    assert response.status_code == 200, response.text
    return dict(response.json())
