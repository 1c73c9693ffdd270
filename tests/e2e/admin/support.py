"""Helpers for the Admin API tests: the operator's organization and clients, the shapes a profile
reports, and the checks of error envelopes and paged lists.

Applications and identity checks come from the end user; they are stored through the provider service, as
the enrollment page and the portal do.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Connection

from tests.e2e.conftest import R1_HEADERS, Server
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.provider import service as provider
from uprof.timestamps import utc_now

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
GA_HEADERS = {"anthropic-version": "2023-06-01"}
IDENTITY = {"full_name": "Ada Example", "country": "GB", "document_type": "passport", "document_last4": "4821"}
MISSING_PROFILE = "uprof_000000000000000000000000"
CYBER_DEFAULT = {
    "status": "active",
    "tiers": {"a": {"status": "inactive"}, "b": {"status": "inactive"}, "c": {"status": "inactive"}},
    "requirements": {"data_retention": True, "human_review": True},
}
# A complete read reports every tier even when none is active (docs/reference/profiles.md §2.4).
NO_TIERS = {"tiers": {tier: {"status": "inactive"} for tier in "abc"}, "requirements": None}


def tiers(a: str = "inactive", b: str = "inactive", c: str = "inactive") -> dict[str, dict[str, str]]:
    return {"a": {"status": a}, "b": {"status": b}, "c": {"status": c}}


def features(exemption: str = "inactive", cmek: str = "inactive", storage: str = "inactive") -> dict[str, Any]:
    return {"data_retention_exemption": {"status": exemption}, "cmek": {"status": cmek}, "storage": {"status": storage}}


@dataclass
class Operator:
    """An organization with a standard key (`api`, R1; `ga`) and an admin key (`admin`)."""

    organization_id: str
    admin: httpx.Client
    api: httpx.Client
    ga: httpx.Client
    database: Database

    def profile(self, name: str | None = None, external_id: str | None = None) -> str:
        response = self.api.post("/v1/user_profiles", json={"name": name, "external_id": external_id})
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def read(self, profile_id: str) -> dict[str, Any]:
        """The profile under GA (no beta header)."""
        response = self.ga.get(f"/v1/user_profiles/{profile_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def read_r1(self, profile_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v1/user_profiles/{profile_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def apply(
        self,
        profile_id: str,
        program: str = "cyber",
        requested: tuple[str, ...] = ("a", "c"),
        source: str = "enrollment_url",
    ) -> str:
        """The end user applies (enrollment page or portal)."""

        def work(connection: Connection) -> str:
            return provider.submit_application(
                connection,
                self.organization_id,
                profile_id,
                program=program,
                source=source,
                requested=list(requested),
                use_case="Red-team exercises",
                applicant_organization="Example Security Ltd",
                contact_email="ada@example.com",
                now=utc_now(),
            )

        return self.database.run(work, write=True)

    def submit_check(self, profile_id: str) -> str:
        """The end user submits an identity check through the portal."""
        return self.database.run(
            lambda c: provider.submit_identity_check(c, self.organization_id, profile_id, dict(IDENTITY), utc_now()),
            write=True,
        )

    def ok(self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        response = self.admin.request(method, path, json=body, params=params or None)
        assert response.status_code == 200, response.text
        return response.json()

    def open_action(self, profile_id: str, **body: Any) -> dict[str, Any]:
        return dict(self.ok("POST", f"/v1/admin/user_profiles/{profile_id}/enforcement_actions", body))


def new_operator(server: Server, database: Database) -> tuple[Operator, list[httpx.Client]]:
    name = f"admin-test-{uuid.uuid4()}"

    def work(connection: Connection) -> tuple[str, str, str]:
        standard = accounts.create_key(connection, name="platform", organization_name=name).key
        admin = accounts.create_key(connection, name="operator", admin=True, organization_name=name).key
        return accounts.organization_for(connection, name), standard, admin

    organization_id, standard, admin = database.run(work, write=True)
    clients = [
        httpx.Client(base_url=server.url, headers={"x-api-key": admin}, timeout=10),
        httpx.Client(base_url=server.url, headers={"x-api-key": standard, **R1_HEADERS}, timeout=10),
        httpx.Client(base_url=server.url, headers={"x-api-key": standard, **GA_HEADERS}, timeout=10),
    ]
    admin_client, api, ga = clients
    return Operator(organization_id, admin_client, api, ga, database), clients


def assert_error(
    response: httpx.Response, status: int, error_type: str, message: str, *, no_retry: bool = False
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"] == {"type": error_type, "message": message}
    if no_retry:
        assert response.headers["x-should-retry"] == "false"


def invalid(response: httpx.Response, message: str) -> None:
    assert_error(response, 400, "invalid_request_error", message)


def not_found(response: httpx.Response, message: str) -> None:
    assert_error(response, 404, "not_found_error", message)


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["data"]]


def walk(op: Operator, path: str, **params: Any) -> list[list[str]]:
    """Every page of a list, as lists of IDs."""
    pages: list[list[str]] = []
    page = None
    while True:
        body = op.ok("GET", path, **params, **({"page": page} if page else {}))
        pages.append(ids(body))
        page = body["next_page"]
        if page is None:
            return pages
        assert len(pages) < 10
