"""Integration fixtures: a fresh organization per test, a brand-new empty database when one is needed,
and for the webhook tests a database of their own per module (the servers other tests start
dispatch from the shared one) with no delivery due; for the service-level tests, the time a test
starts at, an organization with an endpoint of each kind, and a profile of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, update

from tests.databases import backend_of, fresh_database, opened
from tests.integration.service_support import Tenant, new_tenant
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.timestamps import utc_now
from uprof.webhooks.models import webhook_delivery


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


@pytest.fixture(scope="module")
def isolated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with fresh_database(backend_of(database_url), tmp_path_factory.mktemp("webhooks")) as url, opened(url) as database:
        yield database


@pytest.fixture
def clean(isolated: Database) -> Database:
    """No delivery left over from an earlier test may be due."""
    isolated.run(lambda c: c.execute(update(webhook_delivery).values(status="cancelled")), write=True)
    return isolated


@pytest.fixture
def now() -> datetime:
    """The time a service-level test starts at: the profile read model judges actions by the real clock."""
    return utc_now()


@pytest.fixture(scope="session")
def services_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The service-level tests' own database, one per backend for all their modules: like `isolated`,
    out of reach of the servers other tests start, without migrating a database per module."""
    folder = tmp_path_factory.mktemp("services")
    with fresh_database(backend_of(database_url), folder) as url, opened(url) as database:
        yield database


@pytest.fixture
def quiet(services_database: Database) -> Database:
    """`services_database` with no delivery left over from an earlier test due."""
    services_database.run(lambda c: c.execute(update(webhook_delivery).values(status="cancelled")), write=True)
    return services_database


@pytest.fixture
def tenant(services_database: Database, now: datetime) -> Tenant:
    """A new organization with one endpoint of each kind (service_support.py)."""
    return new_tenant(services_database, now)


@pytest.fixture
def profile_id(tenant: Tenant, now: datetime) -> str:
    """A new profile of `tenant`, created at `now`."""
    return tenant.new_profile(now)
