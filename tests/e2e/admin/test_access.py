"""Admin API conventions (provider.md §5.1): only admin keys are accepted, `anthropic-version` is optional
and `anthropic-beta` ignored, and objects of another organization are not found."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Connection

from tests.e2e.admin.support import GA_HEADERS, IDENTITY, NO_TIERS, Operator, assert_error, ids, not_found
from tests.e2e.conftest import R1_HEADERS, Server, Tenant
from uprof.provider import service as provider
from uprof.timestamps import utc_now

ADMIN_ONLY = "this endpoint requires an admin API key"
ROUTES = [
    ("GET", "/v1/admin/enrollments"),
    ("GET", "/v1/admin/enrollments/enr_x"),
    ("POST", "/v1/admin/enrollments/enr_x/approve"),
    ("POST", "/v1/admin/enrollments/enr_x/reject"),
    ("GET", "/v1/admin/user_profiles"),
    ("GET", "/v1/admin/user_profiles/{profile}"),
    ("POST", "/v1/admin/user_profiles/{profile}/programs/cyber"),
    ("POST", "/v1/admin/user_profiles/{profile}/programs/efs"),
    ("DELETE", "/v1/admin/user_profiles/{profile}/programs/cyber"),
    ("GET", "/v1/admin/user_profiles/{profile}/enforcement_actions"),
    ("POST", "/v1/admin/user_profiles/{profile}/enforcement_actions"),
    ("GET", "/v1/admin/enforcement_actions/enac_x"),
    ("POST", "/v1/admin/enforcement_actions/enac_x/resolve"),
    ("GET", "/v1/admin/identity_checks"),
    ("POST", "/v1/admin/identity_checks/idc_x/approve"),
    ("POST", "/v1/admin/identity_checks/idc_x/reject"),
]


def test_standard_key_is_refused_everywhere(op: Operator) -> None:
    profile = op.profile("Ada")
    before = op.read(profile)
    bodies: dict[str, dict[str, Any]] = {
        "POST": {"status": "active", "type": "ban", "reason": "high_harm"},
    }
    for headers in ({}, {"anthropic-beta": ""}):
        for method, template in ROUTES:
            path = template.format(profile=profile)
            for client in (op.api, op.ga):
                response = client.request(method, path, json=bodies.get(method), headers=headers or None)
                assert_error(response, 403, "permission_error", ADMIN_ONLY)
    assert op.read(profile) == before
    assert op.ok("GET", f"/v1/admin/user_profiles/{profile}/enforcement_actions")["data"] == []


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
