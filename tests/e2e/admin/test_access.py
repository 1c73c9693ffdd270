"""Admin API conventions (docs/reference/provider.md §5.1): only admin keys are accepted (on every route the app serves
under /v1/admin/, read from its routes so a new one cannot be missed), `anthropic-version` is optional
and `anthropic-beta` ignored, and objects of another organization are not found."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, select
from starlette.routing import Route

from tests.e2e.admin.support import GA_HEADERS, IDENTITY, NO_TIERS, Operator, assert_error, ids, not_found
from tests.e2e.conftest import R1_HEADERS, Server, Tenant
from tests.secret_keys import TEST_SECRET_KEY
from uprof.accounts import service as accounts
from uprof.accounts.models import organization
from uprof.app import create_app
from uprof.config import Settings
from uprof.http.endpoint import ApiEndpoint
from uprof.provider import service as provider
from uprof.timestamps import utc_now

ADMIN_ONLY = "this endpoint requires an admin API key"
# Values for the path parameters of Admin API routes; a program route is tried with each program.
PATH_VALUES: dict[str, tuple[str, ...]] = {"program": ("cyber", "efs")}
POST_BODY = {"status": "active", "type": "ban", "reason": "high_harm"}  # never read: the key is refused first


def admin_routes(database_url: str) -> list[tuple[str, str]]:
    """Every (method, path template) under /v1/admin/ that the app serves, read from its routes, with
    `{user_profile_id}` left to fill and every other parameter given a value."""
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
    app = create_app(settings)
    app.state.runtime.database.engine.dispose()
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if not (isinstance(route, Route) and route.path.startswith("/v1/admin/")):
            continue
        assert isinstance(route.endpoint, ApiEndpoint), route.path
        names = [name for name in route.param_convertors if name != "user_profile_id"]
        for values in itertools.product(*(PATH_VALUES.get(name, (f"{name}_x",)) for name in names)):
            path = route.path_format.format(user_profile_id="{profile}", **dict(zip(names, values, strict=True)))
            found += [(method, path) for method in route.endpoint.operations]
    return found


# docs/reference/provider.md §5.3 and docs/reference/webhooks.md §7: the routes the reference names, which the app
# must serve.
DOCUMENTED = [
    ("GET", "/v1/admin/enrollments"),
    ("GET", "/v1/admin/enrollments/enrollment_id_x"),
    ("POST", "/v1/admin/enrollments/enrollment_id_x/approve"),
    ("POST", "/v1/admin/enrollments/enrollment_id_x/reject"),
    ("GET", "/v1/admin/user_profiles"),
    ("GET", "/v1/admin/user_profiles/{profile}"),
    ("POST", "/v1/admin/user_profiles/{profile}/programs/cyber"),
    ("POST", "/v1/admin/user_profiles/{profile}/programs/efs"),
    ("DELETE", "/v1/admin/user_profiles/{profile}/programs/cyber"),
    ("DELETE", "/v1/admin/user_profiles/{profile}/programs/efs"),
    ("GET", "/v1/admin/user_profiles/{profile}/enforcement_actions"),
    ("POST", "/v1/admin/user_profiles/{profile}/enforcement_actions"),
    ("GET", "/v1/admin/enforcement_actions/action_id_x"),
    ("POST", "/v1/admin/enforcement_actions/action_id_x/resolve"),
    ("GET", "/v1/admin/identity_checks"),
    ("POST", "/v1/admin/identity_checks/check_id_x/approve"),
    ("POST", "/v1/admin/identity_checks/check_id_x/reject"),
    ("GET", "/v1/admin/webhook_deliveries"),
    ("GET", "/v1/admin/webhook_deliveries/delivery_id_x"),
    ("POST", "/v1/admin/webhook_deliveries/delivery_id_x/retry"),
]


@dataclass
class ScopedKey:
    key: str
    workspace_id: str


@pytest.fixture
def scoped_key(op: Operator) -> ScopedKey:
    """A standard key scoped to a workspace of the operator's organization (`uprof keys create --workspace`)."""
    workspace_id = f"wrkspc_access{uuid.uuid4().hex[:8]}"

    def work(connection: Connection) -> str:
        name = connection.execute(select(organization.c.name).where(organization.c.id == op.organization_id)).scalar()
        return accounts.create_key(connection, name="scoped", workspace_id=workspace_id, organization_name=name).key

    return ScopedKey(op.database.run(work, write=True), workspace_id)


def test_every_documented_admin_route_is_served(database_url: str) -> None:
    routes = admin_routes(database_url)
    assert len(routes) == len(set(routes))
    assert [route for route in DOCUMENTED if route not in routes] == []


def test_non_admin_keys_are_refused_everywhere(
    op: Operator, server: Server, scoped_key: ScopedKey, database_url: str
) -> None:
    """A standard key, and a workspace-scoped one (with and without its workspace header), get 403 on every
    Admin API route the app serves, whatever the headers, and nothing changes."""
    profile = op.profile("Ada")
    before = op.read(profile)
    own_workspace = {"anthropic-workspace-id": scoped_key.workspace_id}
    scoped = httpx.Client(base_url=server.url, headers={"x-api-key": scoped_key.key, **R1_HEADERS}, timeout=10)
    with scoped:
        assert scoped.get(f"/v1/user_profiles/{profile}", headers=own_workspace).status_code == 200  # a working key
        for method, template in admin_routes(database_url):
            path = template.format(profile=profile)
            body = POST_BODY if method == "POST" else None
            for headers in ({}, {"anthropic-beta": ""}):
                for client, extra in ((op.api, {}), (op.ga, {}), (scoped, {}), (scoped, own_workspace)):
                    response = client.request(method, path, json=body, headers={**headers, **extra} or None)
                    assert response.status_code == 403, (method, path, response.text)
                    assert_error(response, 403, "permission_error", ADMIN_ONLY)
    assert op.read(profile) == before
    assert op.ok("GET", f"/v1/admin/user_profiles/{profile}/enforcement_actions")["data"] == []
    assert op.ok("GET", "/v1/admin/enrollments")["data"] == []
    assert op.ok("GET", "/v1/admin/webhook_deliveries")["data"] == []


def test_anthropic_version_is_optional_and_beta_ignored(op: Operator) -> None:
    profile = op.profile("Ada")
    path = f"/v1/admin/user_profiles/{profile}"
    without = op.admin.get(path)
    assert without.status_code == 200, without.text
    assert "anthropic-version" not in op.admin.headers
    for headers in (
        GA_HEADERS,
        R1_HEADERS,
        {"anthropic-beta": "no-such-beta-2020-01-01"},
        {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"},
    ):
        response = op.admin.get(path, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == without.json()
        assert response.headers["anthropic-organization-id"] == op.organization_id
    status = ["active", "pending", "rejected", "active"]
    for headers, wanted in zip((GA_HEADERS, R1_HEADERS, {"anthropic-beta": "bogus"}, {}), status, strict=True):
        changed = op.admin.post(f"{path}/programs/efs", json={"status": wanted}, headers=headers)
        assert changed.status_code == 200, changed.text
        assert changed.json()["programs"]["efs"]["status"] == wanted
        assert "trust_grants" not in changed.json()


def test_objects_of_another_organization_are_not_found(op: Operator, tenant: Tenant, server: Server) -> None:
    with httpx.Client(base_url=server.url, headers={"x-api-key": tenant.key, **R1_HEADERS}, timeout=10) as foreign_api:
        response = foreign_api.post("/v1/user_profiles", json={"name": "Ada Foreign", "external_id": "cust-1"})
        assert response.status_code == 200, response.text
        foreign = response.json()["id"]

    def seed(connection: Connection) -> tuple[str, str, str]:
        now = utc_now()
        enrollment = provider.submit_application(
            connection,
            tenant.organization_id,
            foreign,
            program="cyber",
            source="enrollment_url",
            requested=["a"],
            use_case="x",
            applicant_organization=None,
            contact_email=None,
            now=now,
        )
        action = provider.open_enforcement_action(
            connection,
            tenant.organization_id,
            foreign,
            type="restriction",
            reason="high_harm",
            verifiable=True,
            now=now,
        )
        check = provider.submit_identity_check(connection, tenant.organization_id, foreign, dict(IDENTITY), now)
        return enrollment, action, check

    enrollment, action, check = op.database.run(seed, write=True)
    own = op.profile("Ada Own", external_id="cust-1")

    profile_paths: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/v1/admin/user_profiles/{foreign}", None),
        ("POST", f"/v1/admin/user_profiles/{foreign}/programs/cyber", {"status": "active"}),
        ("POST", f"/v1/admin/user_profiles/{foreign}/programs/efs", {"status": "active"}),
        ("DELETE", f"/v1/admin/user_profiles/{foreign}/programs/cyber", None),
        ("GET", f"/v1/admin/user_profiles/{foreign}/enforcement_actions", None),
        ("POST", f"/v1/admin/user_profiles/{foreign}/enforcement_actions", {"type": "ban", "reason": "high_harm"}),
    ]
    for method, path, body in profile_paths:
        not_found(op.admin.request(method, path, json=body), "user profile not found")
    for method, suffix in (("GET", ""), ("POST", "/approve"), ("POST", "/reject")):
        not_found(
            op.admin.request(method, f"/v1/admin/enrollments/{enrollment}{suffix}", json={}), "enrollment not found"
        )
    for method, suffix in (("GET", ""), ("POST", "/resolve")):
        response = op.admin.request(method, f"/v1/admin/enforcement_actions/{action}{suffix}", json={})
        not_found(response, "enforcement action not found")
    for suffix in ("approve", "reject"):
        not_found(op.admin.post(f"/v1/admin/identity_checks/{check}/{suffix}", json={}), "identity check not found")

    assert ids(op.ok("GET", "/v1/admin/user_profiles", q=foreign)) == []
    assert ids(op.ok("GET", "/v1/admin/user_profiles", q="cust-1")) == [own]
    assert ids(op.ok("GET", "/v1/admin/user_profiles")) == [own]
    assert op.ok("GET", "/v1/admin/enrollments") == {"data": [], "next_page": None}
    assert op.ok("GET", "/v1/admin/enrollments", user_profile_id=foreign)["data"] == []
    assert op.ok("GET", "/v1/admin/identity_checks") == {"data": [], "next_page": None}

    # Nothing of the other organization changed.
    with httpx.Client(base_url=server.url, headers={"x-api-key": tenant.key, **GA_HEADERS}, timeout=10) as foreign_ga:
        seen = foreign_ga.get(f"/v1/user_profiles/{foreign}").json()
    assert seen["programs"]["cyber"] == {"status": "pending", **NO_TIERS}
    assert seen["enforcement_status"] == "pending"
    assert [a["id"] for a in seen["enforcement_actions"]] == [action]
