"""Fixtures of the data controls and External Keys tests: an organization with a standard and an admin
key, the SDK as each, and the operator's Admin API over raw HTTP.

Most tests use the session's server, whose regions wait the default 10 s before they are decided on
their own, so an operator's decision always reaches a pending region. The tests of what happens on its
own use `quick_server`: 1 s until a pending region is decided, 2 s until a retired entry expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx
import pytest
from sqlalchemy import Connection

from tests.e2e.conftest import Server, start_server, stop_server
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database

DATA_CONTROLS_CLIENT = f"anthropic {anthropic.__version__} beta.user_profiles.providers.google.data_controls"
EXTERNAL_KEYS_CLIENT = f"anthropic {anthropic.__version__} beta.organization.external_keys"
KMS_KEY = "projects/acme-kms/locations/us/keyRings/uprof/cryptoKeys/customer-{}"


@dataclass
class Organization:
    organization_id: str
    client: anthropic.Anthropic  # standard key: profiles and their data controls
    admin: anthropic.Anthropic  # admin key: External Keys
    operator: httpx.Client  # admin key, raw: /v1/admin/…

    def profile(self) -> str:
        return self.client.beta.user_profiles.create(name="Customer").id

    def gcp_key(self, profile_id: str | None, name: str = "a") -> str:
        config: Any = {"type": "gcp", "key_name": KMS_KEY.format(name)}
        return self.admin.beta.organization.external_keys.create(provider_config=config, user_profile_id=profile_id).id

    def operate(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.operator.post(path, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def decide(self, profile_id: str, control: str, region: str, **body: Any) -> dict[str, Any]:
        return self.operate(f"/v1/admin/user_profiles/{profile_id}/data_controls/{control}/{region}", body)


def new_organization(database: Database, url: str) -> Iterator[Organization]:
    name = f"data-controls-{uuid.uuid4()}"

    def work(connection: Connection) -> tuple[str, str, str]:
        admin = accounts.create_key(connection, name="admin", admin=True, organization_name=name)
        standard = accounts.create_key(connection, name="standard", organization_name=name)
        return accounts.organization_for(connection, name), admin.key, standard.key

    organization_id, admin_key, standard_key = database.run(work, write=True)
    with (
        anthropic.Anthropic(api_key=standard_key, base_url=url, max_retries=0) as client,
        anthropic.Anthropic(api_key=admin_key, base_url=url, max_retries=0) as admin,
        httpx.Client(base_url=url, headers={"x-api-key": admin_key}, timeout=30) as operator,
    ):
        yield Organization(organization_id, client, admin, operator)


@pytest.fixture
def org(server: Server, database: Database) -> Iterator[Organization]:
    yield from new_organization(database, server.url)


@pytest.fixture(scope="package")
def quick_server(database_url: str) -> Iterator[Server]:
    running = start_server(database_url, "--data-controls-delay", "1", "--data-controls-retention", "2")
    yield running
    stop_server(running)


@pytest.fixture
def quick_org(quick_server: Server, database: Database) -> Iterator[Organization]:
    yield from new_organization(database, quick_server.url)
