"""What the transport and profile rule tests share: the headers an SDK sends, the exact error
envelope, an organization with one profile, and everything it has stored (to prove a refused request
changed nothing)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import bindparam, select

from tests.e2e.conftest import Server
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.links.models import link
from uprof.profiles.models import user_profile

BETAS = {
    "R1": "user-profiles-2026-03-24",
    "R2": "user-profiles-2026-08-18",
    "R3": "user-profiles-2026-09-04",
    "GA": None,
}
REQUEST_ID = re.compile(r"req_[0-9A-Za-z]{24}")
Snapshot = Callable[[], dict[str, Any]]


def headers(revision: str = "GA", **extra: str) -> dict[str, str]:
    """The headers an SDK sends for `revision`, plus `extra` (underscores in names become dashes)."""
    result = {"anthropic-version": "2023-06-01"}
    beta = BETAS[revision]
    if beta is not None:
        result["anthropic-beta"] = beta
    result.update({name.replace("_", "-"): value for name, value in extra.items()})
    return result


def assert_envelope(
    response: httpx.Response, status: int, error_type: str, message: str, code: str | None = None
) -> None:
    """The exact error envelope of docs/reference/http.md §11, with the request ID of the response header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["type", "error", "request_id"]
    expected: dict[str, Any] = {"type": error_type, "message": message}
    if code is not None:
        expected["details"] = {"error_code": code}
    assert body["type"] == "error"
    assert body["error"] == expected
    assert list(body["error"]) == list(expected)
    assert REQUEST_ID.fullmatch(body["request_id"])
    assert response.headers["request-id"] == body["request_id"]


def assert_invalid(response: httpx.Response, message: str, code: str | None = None) -> None:
    assert_envelope(response, 400, "invalid_request_error", message, code)


# Built once: statements with a bound parameter hit SQLAlchemy's compiled cache on every call.
STORED_PROFILES = (
    select(user_profile).where(user_profile.c.organization_id == bindparam("organization")).order_by(user_profile.c.id)
)
STORED_LINKS = select(link).where(link.c.organization_id == bindparam("organization")).order_by(link.c.token_sha256)


def stored(database: Database, organization_id: str) -> dict[str, Any]:
    """Every stored row of the organization's profiles and links, read straight from the database."""

    def read(connection: Any) -> dict[str, Any]:
        parameters = {"organization": organization_id}
        return {
            "profiles": [dict(row) for row in connection.execute(STORED_PROFILES, parameters).mappings()],
            "links": [dict(row) for row in connection.execute(STORED_LINKS, parameters).mappings()],
        }

    return database.run(read, write=False)


@dataclass
class Organization:
    """An organization with a key, a client sending that key, and one GA profile."""

    organization_id: str
    key: str
    client: httpx.Client
    profile: dict[str, Any]


FULL_PROFILE = {
    "name": "Ada Example",
    "access_type": "passthrough",
    "external_user_details": {
        "account_status": "active",
        "country": "DE",
        "email_hash": "e-hash",
        "entity_type": "business",
        "name_hash": "n-hash",
        "onboarded_at": "2026-01-01T00:00:00Z",
        "reference_id": "ref-1",
    },
    "metadata": {"plan": "pro", "seats": "5"},
}


def connect(server: Server, key: str | None = None) -> httpx.Client:
    """Raw HTTP with `key` (if any) only; each request states its own version and beta headers."""
    return httpx.Client(base_url=server.url, headers={"x-api-key": key} if key else {}, timeout=10, verify=False)


@contextmanager
def new_organization(server: Server, database: Database) -> Iterator[Organization]:
    name = f"test-{uuid.uuid4()}"

    def work(connection: Any) -> tuple[str, str]:
        created = accounts.create_key(connection, name="e2e", organization_name=name)
        return accounts.organization_for(connection, name), created.key

    organization_id, key = database.run(work, write=True)
    with connect(server, key) as client:
        response = client.post("/v1/user_profiles", json=FULL_PROFILE, headers=headers())
        assert response.status_code == 200, response.text
        yield Organization(organization_id, key, client, response.json())
