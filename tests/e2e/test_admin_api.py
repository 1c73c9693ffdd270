"""The Admin API of provider.md §5 over raw HTTP against the real server (webhook deliveries: see
test_webhook_delivery.py).

Each test gets an organization of its own with a standard key (the platform: creates profiles, reads
them under R1 and GA) and an admin key (the operator). Admin requests carry no `anthropic-version`
(optional on `/v1/admin/…`). Applications and identity checks come from the end user; they are
stored through the provider service, as the enrollment page and the portal do.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection

from tests.e2e.conftest import R1_HEADERS, Server, Tenant
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.provider import service as provider
from uprof.timestamps import format_timestamp, utc_now

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
GA_HEADERS = {"anthropic-version": "2023-06-01"}
ADMIN_ONLY = "this endpoint requires an admin API key"
IDENTITY = {"full_name": "Ada Example", "country": "GB", "document_type": "passport", "document_last4": "4821"}
MISSING_PROFILE = "uprof_000000000000000000000000"
ENROLLMENT_STATUS = "status: must be one of pending, approved, rejected, superseded"
REASONS = (
    "reason: must be one of unsupported_region, fraud_or_abuse, high_harm, usage_policy_violation, "
    "account_compromise, unspecified"
)
CYBER_DEFAULT = {
    "status": "active",
    "tiers": {"a": {"status": "inactive"}, "b": {"status": "inactive"}, "c": {"status": "inactive"}},
    "requirements": {"data_retention": True, "human_review": True},
}
# A complete read reports every tier even when none is active (profiles.md §2.4).
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
    return Operator(organization_id, *clients, database), clients


@pytest.fixture
def op(server: Server, database: Database) -> Iterator[Operator]:
    operator, clients = new_operator(server, database)
    yield operator
    for client in clients:
        client.close()


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


# --- enrollments -------------------------------------------------------------------------------


def test_enrollment_list_filters_order_and_pages(op: Operator) -> None:
    p1, p2, p3, p4 = (op.profile(f"P{i}") for i in range(4))
    e1 = op.apply(p1, "cyber", ("a", "c"))
    e2 = op.apply(p1, "efs", ("cmek",), source="portal")
    e3 = op.apply(p2, "cyber", ("b",), source="portal")
    e4 = op.apply(p3, "cyber", ("a",))
    e5 = op.apply(p4, "cyber", ("c",))
    op.ok("POST", f"/v1/admin/enrollments/{e3}/approve", {})
    op.ok("POST", f"/v1/admin/enrollments/{e4}/reject", {})
    op.ok("DELETE", f"/v1/admin/user_profiles/{p4}/programs/cyber")  # supersedes e5
    path = "/v1/admin/enrollments"

    everything = op.ok("GET", path)
    assert ids(everything) == [e1, e2, e3, e4, e5] and everything["next_page"] is None
    first = everything["data"][0]
    assert first == {
        "id": e1,
        "type": "enrollment",
        "user_profile_id": p1,
        "program": "cyber",
        "status": "pending",
        "source": "enrollment_url",
        "requested": ["a", "c"],
        "use_case": "Red-team exercises",
        "organization": "Example Security Ltd",
        "contact_email": "ada@example.com",
        "submitted_at": first["submitted_at"],
        "decided_at": None,
        "decision_note": None,
    }
    assert TIMESTAMP.fullmatch(first["submitted_at"])
    assert [item["status"] for item in everything["data"]] == [
        "pending",
        "pending",
        "approved",
        "rejected",
        "superseded",
    ]
    assert op.ok("GET", f"{path}/{e1}") == first
    assert op.ok("GET", f"{path}/{e5}") == everything["data"][4]

    assert ids(op.ok("GET", path, order="asc")) == [e1, e2, e3, e4, e5]
    assert ids(op.ok("GET", path, order="desc")) == [e5, e4, e3, e2, e1]
    assert ids(op.ok("GET", path, status="pending")) == [e1, e2]
    assert ids(op.ok("GET", path, status=["pending", "approved"])) == [e1, e2, e3]
    assert ids(op.ok("GET", path, status=["superseded", "rejected"])) == [e4, e5]
    assert ids(op.ok("GET", path, status="pending", program="cyber")) == [e1]
    assert ids(op.ok("GET", path, program="efs")) == [e2]
    assert ids(op.ok("GET", path, program="cyber")) == [e1, e3, e4, e5]
    assert ids(op.ok("GET", path, user_profile_id=p1)) == [e1, e2]
    assert ids(op.ok("GET", path, user_profile_id=MISSING_PROFILE)) == []
    assert ids(op.ok("GET", path, source="portal")) == [e2, e3]
    assert ids(op.ok("GET", path, source="enrollment_url", order="desc")) == [e5, e4, e1]

    assert walk(op, path, limit=2) == [[e1, e2], [e3, e4], [e5]]
    assert walk(op, path, limit=2, order="desc") == [[e5, e4], [e3, e2], [e1]]
    assert walk(op, path, limit=1, status="pending") == [[e1], [e2]]
    cursor = op.ok("GET", path, limit=2)["next_page"]
    invalid(
        op.admin.get(path, params={"page": cursor, "order": "desc"}),
        "page: cursor was issued for a different order or order_by",
    )
    invalid(op.admin.get(path, params={"page": "garbage"}), "page: not a valid cursor")

    invalid(op.admin.get(path, params={"status": "open"}), ENROLLMENT_STATUS)
    invalid(op.admin.get(path, params={"status": ["pending", "done"]}), ENROLLMENT_STATUS)
    invalid(op.admin.get(path, params={"program": "gold"}), "program: must be one of cyber, efs")
    invalid(op.admin.get(path, params={"source": "email"}), "source: must be one of enrollment_url, portal")
    invalid(op.admin.get(path, params={"order": "up"}), "order: must be one of asc, desc")
    for limit in ("0", "101", "x", ""):
        invalid(op.admin.get(path, params={"limit": limit}), "limit: must be an integer from 1 to 100")

    for method, suffix in (("GET", ""), ("POST", "/approve"), ("POST", "/reject")):
        not_found(
            op.admin.request(method, f"{path}/enr_000000000000000000000000{suffix}", json={}), "enrollment not found"
        )


def test_approve_with_requested_tiers_and_conflicts(op: Operator) -> None:
    profile = op.profile("Ada", external_id="user_1")
    created = op.read(profile)["updated_at"]
    enrollment = op.apply(profile, "cyber", ("a", "c"))
    pending = op.read(profile)
    assert pending["programs"] == {"cyber": {"status": "pending", **NO_TIERS}, "efs": None}
    assert pending["updated_at"] > created
    assert op.read_r1(profile)["trust_grants"] == {"cyber": {"status": "pending"}}

    approved = op.ok("POST", f"/v1/admin/enrollments/{enrollment}/approve", {})
    assert approved["status"] == "approved" and approved["decision_note"] is None
    assert TIMESTAMP.fullmatch(approved["decided_at"]) and approved["decided_at"] >= approved["submitted_at"]
    assert approved == op.ok("GET", f"/v1/admin/enrollments/{enrollment}")

    after = op.read(profile)
    assert after["programs"] == {
        "cyber": {
            "status": "active",
            "tiers": tiers(a="active", c="active"),
            "requirements": CYBER_DEFAULT["requirements"],
        },
        "efs": None,
    }
    assert after["updated_at"] > pending["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {"cyber": {"status": "active"}}

    for action in ("approve", "reject"):
        response = op.admin.post(f"/v1/admin/enrollments/{enrollment}/{action}", json={})
        assert_error(response, 409, "conflict_error", "enrollment is not pending (status: approved)", no_retry=True)
    assert op.read(profile) == after


def test_approve_with_explicit_tiers_requirements_and_validation(op: Operator) -> None:
    profile = op.profile("Grace")
    enrollment = op.apply(profile, "cyber", ("a", "c"))
    before = op.read(profile)
    approve = f"/v1/admin/enrollments/{enrollment}/approve"
    for body, message in (
        ({"tiers": ["a", "x"]}, "tiers[1]: must be one of a, b, c"),
        ({"tiers": "a"}, "tiers: must be an array"),
        ({"features": ["cmek"]}, "features: not accepted for a cyber enrollment"),
        ({"requirements": {"audit": True}}, "requirements.audit: unknown field"),
        ({"requirements": {"human_review": "no"}}, "requirements.human_review: must be a boolean"),
        ({"note": "n" * 1001}, "note: must be at most 1000 characters"),
        ({"tier": ["a"]}, "tier: unknown field"),
    ):
        invalid(op.admin.post(approve, json=body), message)
    assert op.ok("GET", f"/v1/admin/enrollments/{enrollment}")["status"] == "pending"
    assert op.read(profile) == before

    note = "n" * 1000
    body = {"tiers": ["b", "b"], "requirements": {"human_review": False}, "note": note}
    approved = op.ok("POST", approve, body)
    assert approved["status"] == "approved" and approved["decision_note"] == note
    assert approved["requested"] == ["a", "c"]
    after = op.read(profile)
    assert after["programs"]["cyber"] == {
        "status": "active",
        "tiers": tiers(b="active"),
        "requirements": {"data_retention": True, "human_review": False},
    }
    assert after["updated_at"] > before["updated_at"]

    # An empty list grants the program without tiers.
    other = op.profile("Linus")
    granted = op.ok("POST", f"/v1/admin/enrollments/{op.apply(other, 'cyber', ('a',))}/approve", {"tiers": []})
    assert granted["status"] == "approved"
    assert op.read(other)["programs"]["cyber"] == {"status": "active", **NO_TIERS}
    view = op.ok("GET", f"/v1/admin/user_profiles/{other}")
    assert view["cyber_requirements"] == {"data_retention": True, "human_review": True}


def test_efs_enrollments(op: Operator) -> None:
    profile = op.profile("Northwind")
    enrollment = op.apply(profile, "efs", ("cmek",))
    approve = f"/v1/admin/enrollments/{enrollment}/approve"
    for body, message in (
        ({"tiers": ["a"]}, "tiers: not accepted for an efs enrollment"),
        ({"requirements": {"human_review": False}}, "requirements: not accepted for an efs enrollment"),
        ({"features": ["bogus"]}, "features[0]: must be one of data_retention_exemption, cmek, storage"),
    ):
        invalid(op.admin.post(approve, json=body), message)
    assert op.read(profile)["programs"]["efs"] == {"status": "pending", "features": features()}

    op.ok("POST", approve, {"features": ["storage", "data_retention_exemption"]})
    assert op.read(profile)["programs"] == {
        "cyber": None,
        "efs": {"status": "active", "features": features(exemption="active", storage="active")},
    }
    assert op.read_r1(profile)["trust_grants"] == {"efs": {"status": "active"}}

    second = op.profile("Contoso")
    op.ok("POST", f"/v1/admin/enrollments/{op.apply(second, 'efs', ('cmek', 'storage'), 'portal')}/approve")
    assert op.read(second)["programs"]["efs"] == {
        "status": "active",
        "features": features(cmek="active", storage="active"),
    }


def test_reject_enrollment(op: Operator) -> None:
    profile = op.profile("Mallory")
    enrollment = op.apply(profile, "cyber", ("a",))
    before = op.read(profile)
    reject = f"/v1/admin/enrollments/{enrollment}/reject"
    invalid(op.admin.post(reject, json={"tiers": ["a"]}), "tiers: unknown field")
    invalid(op.admin.post(reject, json={"note": 5}), "note: must be at most 1000 characters")

    rejected = op.ok("POST", reject, {"note": "Not a security firm"})
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "Not a security firm"
    assert TIMESTAMP.fullmatch(rejected["decided_at"])
    after = op.read(profile)
    assert after["programs"] == {"cyber": {"status": "rejected", **NO_TIERS}, "efs": None}
    assert after["updated_at"] > before["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {"cyber": {"status": "rejected"}}
    for action in ("approve", "reject"):
        response = op.admin.post(f"/v1/admin/enrollments/{enrollment}/{action}", json={})
        assert_error(response, 409, "conflict_error", "enrollment is not pending (status: rejected)", no_retry=True)

    # A rejected profile may apply again; an efs rejection leaves every feature inactive.
    op.ok("POST", f"/v1/admin/enrollments/{op.apply(profile, 'efs', ('cmek',))}/reject")
    assert op.read(profile)["programs"]["efs"] == {"status": "rejected", "features": features()}


# --- profiles ----------------------------------------------------------------------------------


def test_profile_search(op: Operator) -> None:
    ada = op.profile("Ada Lovelace", external_id="cust-1")
    grace = op.profile("Grace Hopper", external_id="cust-2")
    nevada = op.profile("NEVADA Smith")
    anonymous = op.profile(None, external_id="Ada")
    op.ok("POST", f"/v1/admin/user_profiles/{ada}/programs/cyber", {"tiers": {"a": "active"}})
    op.ok("POST", f"/v1/admin/user_profiles/{ada}/programs/efs", {"status": "active"})
    path = "/v1/admin/user_profiles"

    everything = op.ok("GET", path)
    assert ids(everything) == [anonymous, nevada, grace, ada] and everything["next_page"] is None
    # GA shape, programs reported fully (unlike the public list).
    assert everything["data"][3] == op.read(ada)
    assert everything["data"][3]["programs"]["cyber"]["tiers"] == tiers(a="active")
    assert "trust_grants" not in everything["data"][0]

    assert ids(op.ok("GET", path, q=grace)) == [grace]
    assert ids(op.ok("GET", path, q="cust-1")) == [ada]
    assert ids(op.ok("GET", path, q="CUST-1")) == []
    assert ids(op.ok("GET", path, q="cust")) == []
    assert ids(op.ok("GET", path, q="ada")) == [nevada, ada]
    assert ids(op.ok("GET", path, q="Ada")) == [anonymous, nevada, ada]
    assert ids(op.ok("GET", path, q="HOPP")) == [grace]
    assert ids(op.ok("GET", path, q="%")) == []
    assert ids(op.ok("GET", path, q="zzz")) == []
    assert walk(op, path, limit=3) == [[anonymous, nevada, grace], [ada]]
    invalid(op.admin.get(path, params={"limit": "101"}), "limit: must be an integer from 1 to 100")
    # Any case in full Unicode, not only A-Z: the same on both databases.
    emile = op.profile("Émile Zoë Straße")
    plain = op.profile("Emile Zoe Strasse")  # no accents: another name, but ß folds to ss
    for q in ("Émile", "émile", "ÉMILE", "zoë", "ZOË", "mile zoë st"):
        assert ids(op.ok("GET", path, q=q)) == [emile], q
    for q in ("straße", "STRASSE", "STRAẞE"):
        assert ids(op.ok("GET", path, q=q)) == [plain, emile], q


def test_operator_profile_view(op: Operator) -> None:
    profile = op.profile("Ada", external_id="user_1")
    first = op.apply(profile, "cyber", ("a",))
    op.ok("POST", f"/v1/admin/enrollments/{first}/reject")
    second = op.apply(profile, "cyber", ("a", "b"), source="portal")
    op.ok("POST", f"/v1/admin/enrollments/{second}/approve", {"tiers": ["a"], "requirements": {"human_review": False}})
    # No tier active: the GA profile shows no requirements, the operator view still the stored ones.
    op.ok("POST", f"/v1/admin/user_profiles/{profile}/programs/cyber", {"tiers": {"a": "inactive"}})
    restriction = op.open_action(
        profile, type="restriction", reason="unsupported_region", verifiable=True, note="blocked"
    )
    ban = op.open_action(profile, type="ban", reason="fraud_or_abuse")
    op.ok("POST", f"/v1/admin/enforcement_actions/{ban['id']}/resolve", {"note": "mistake"})
    check = op.submit_check(profile)

    view = op.ok("GET", f"/v1/admin/user_profiles/{profile}")
    assert list(view) == [
        "type",
        "profile",
        "cyber_requirements",
        "enrollments",
        "enforcement_actions",
        "identity_checks",
    ]
    assert view["type"] == "admin_user_profile"
    assert view["profile"] == op.read(profile)
    assert view["profile"]["programs"]["cyber"] == {"status": "active", **NO_TIERS}
    assert view["profile"]["enforcement_status"] == "pending"
    assert view["cyber_requirements"] == {"data_retention": True, "human_review": False}
    assert [e["id"] for e in view["enrollments"]] == [second, first]
    assert view["enrollments"][0] == op.ok("GET", f"/v1/admin/enrollments/{second}")
    assert [a["id"] for a in view["enforcement_actions"]] == [ban["id"], restriction["id"]]
    assert view["enforcement_actions"][0]["resolution"] == "operator"
    # A submitted check is under review: the restriction cannot be verified again meanwhile.
    assert view["enforcement_actions"][1] == {**restriction, "action": None}
    assert view["enforcement_actions"][1] == op.ok("GET", f"/v1/admin/enforcement_actions/{restriction['id']}")
    assert [c["id"] for c in view["identity_checks"]] == [check]
    assert view["identity_checks"][0]["status"] == "submitted"
    assert view["identity_checks"][0]["full_name"] == "Ada Example"

    not_found(op.admin.get(f"/v1/admin/user_profiles/{MISSING_PROFILE}"), "user profile not found")
    not_found(op.admin.get("/v1/admin/user_profiles/nonsense"), "user profile not found")


# --- program standing --------------------------------------------------------------------------


def test_set_cyber_program(op: Operator) -> None:
    profile = op.profile("Ada")
    path = f"/v1/admin/user_profiles/{profile}/programs/cyber"
    start = op.read(profile)
    for body, message in (
        ({}, "body: must set at least one of status, tiers, requirements"),
        ({"tiers": {"a": "inactive"}}, "status: required while the profile has no status in this program"),
        ({"requirements": {"human_review": False}}, "status: required while the profile has no status in this program"),
        ({"status": "pending", "tiers": {"a": "active"}}, "tiers.a: can be active only when status is active"),
        (
            {"status": "rejected", "tiers": {"b": "inactive", "c": "active"}},
            "tiers.c: can be active only when status is active",
        ),
        ({"status": "approved"}, "status: must be one of active, pending, rejected"),
        ({"tiers": {"d": "active"}}, "tiers.d: unknown field"),
        ({"tiers": {"a": "on"}}, "tiers.a: must be one of active, inactive"),
        ({"tiers": ["a"]}, "tiers: must be an object"),
        ({"features": {"cmek": "active"}}, "features: unknown field"),
        ({"status": "active", "requirements": {"x": True}}, "requirements.x: unknown field"),
    ):
        invalid(op.admin.post(path, json=body), message)
    assert op.read(profile) == start

    # Resulting status: `active` when a tier ends up active.
    response = op.ok("POST", path, {"tiers": {"c": "active"}})
    assert response == op.read(profile)
    assert response["programs"] == {
        "cyber": {"status": "active", "tiers": tiers(c="active"), "requirements": CYBER_DEFAULT["requirements"]},
        "efs": None,
    }
    assert response["updated_at"] > start["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {"cyber": {"status": "active"}}

    body = {"tiers": {"a": "active"}, "requirements": {"data_retention": False}}
    changed = op.ok("POST", path, body)
    assert changed["programs"]["cyber"] == {
        "status": "active",
        "tiers": tiers(a="active", c="active"),
        "requirements": {"data_retention": False, "human_review": True},
    }
    assert changed["updated_at"] > response["updated_at"]
    # The same call again changes nothing: `updated_at` stays.
    assert op.ok("POST", path, body) == changed
    assert op.ok("POST", path, {"status": "active"}) == changed

    # `pending`/`rejected` make every tier inactive; the stored requirements stay.
    rejected = op.ok("POST", path, {"status": "rejected"})
    assert rejected["programs"]["cyber"] == {"status": "rejected", **NO_TIERS}
    assert rejected["updated_at"] > changed["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {"cyber": {"status": "rejected"}}
    # Without status and without an active tier, the current status stays; requirements alone are a change.
    moved = op.ok("POST", path, {"requirements": {"human_review": False}, "tiers": {"b": "inactive"}})
    assert moved["programs"]["cyber"] == {"status": "rejected", **NO_TIERS}
    assert moved["updated_at"] > rejected["updated_at"]
    view = op.ok("GET", f"/v1/admin/user_profiles/{profile}")
    assert view["cyber_requirements"] == {"data_retention": False, "human_review": False}
    pending = op.ok("POST", path, {"status": "pending", "tiers": {"a": "inactive"}})
    assert pending["programs"]["cyber"] == {"status": "pending", **NO_TIERS}
    again = op.ok("POST", path, {"tiers": {"b": "active"}})
    assert again["programs"]["cyber"] == {
        "status": "active",
        "tiers": tiers(b="active"),
        "requirements": {"data_retention": False, "human_review": False},
    }

    # DELETE: null under GA, key removed under R1, requirements reset; a second DELETE changes nothing.
    cleared = op.ok("DELETE", path)
    assert cleared == op.read(profile)
    assert cleared["programs"] == {"cyber": None, "efs": None}
    assert cleared["updated_at"] > again["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {}
    assert op.ok("GET", f"/v1/admin/user_profiles/{profile}")["cyber_requirements"] == CYBER_DEFAULT["requirements"]
    assert op.ok("DELETE", path) == cleared
    invalid(
        op.admin.post(path, json={"tiers": {"a": "inactive"}}),
        "status: required while the profile has no status in this program",
    )

    for method in ("POST", "DELETE"):
        response = op.admin.request(
            method, f"/v1/admin/user_profiles/{profile}/programs/gold", json={"status": "active"}
        )
        not_found(response, "program not found")
        response = op.admin.request(
            method, f"/v1/admin/user_profiles/{MISSING_PROFILE}/programs/cyber", json={"status": "active"}
        )
        not_found(response, "user profile not found")


def test_set_program_supersedes_pending_enrollment(op: Operator) -> None:
    profile = op.profile("Ada")
    enrollment = op.apply(profile, "cyber", ("a",))
    granted = op.ok("POST", f"/v1/admin/user_profiles/{profile}/programs/cyber", {"status": "active"})
    assert granted["programs"]["cyber"] == {"status": "active", **NO_TIERS}
    assert op.ok("GET", f"/v1/admin/enrollments/{enrollment}")["status"] == "superseded"
    response = op.admin.post(f"/v1/admin/enrollments/{enrollment}/approve", json={})
    assert_error(response, 409, "conflict_error", "enrollment is not pending (status: superseded)", no_retry=True)

    efs = op.apply(profile, "efs", ("cmek",))
    op.ok("DELETE", f"/v1/admin/user_profiles/{profile}/programs/efs")
    assert op.ok("GET", f"/v1/admin/enrollments/{efs}")["status"] == "superseded"
    assert op.read_r1(profile)["trust_grants"] == {"cyber": {"status": "active"}}


def test_set_efs_program(op: Operator) -> None:
    profile = op.profile("Northwind")
    path = f"/v1/admin/user_profiles/{profile}/programs/efs"
    start = op.read(profile)
    for body, message in (
        ({}, "body: must set at least one of status, features"),
        ({"features": {"cmek": "inactive"}}, "status: required while the profile has no status in this program"),
        (
            {"status": "rejected", "features": {"cmek": "active"}},
            "features.cmek: can be active only when status is active",
        ),
        ({"requirements": {"human_review": False}}, "requirements: unknown field"),
        ({"tiers": {"a": "active"}}, "tiers: unknown field"),
        ({"features": {"backup": "active"}}, "features.backup: unknown field"),
        ({"status": None}, "status: must be one of active, pending, rejected"),
    ):
        invalid(op.admin.post(path, json=body), message)
    assert op.read(profile) == start

    active = op.ok("POST", path, {"status": "active", "features": {"cmek": "active"}})
    assert active == op.read(profile)
    assert active["programs"] == {"cyber": None, "efs": {"status": "active", "features": features(cmek="active")}}
    assert active["updated_at"] > start["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {"efs": {"status": "active"}}
    assert op.ok("POST", path, {"status": "active", "features": {"cmek": "active", "storage": "inactive"}}) == active

    more = op.ok("POST", path, {"features": {"storage": "active"}})
    assert more["programs"]["efs"] == {"status": "active", "features": features(cmek="active", storage="active")}
    pending = op.ok("POST", path, {"status": "pending"})
    assert pending["programs"]["efs"] == {"status": "pending", "features": features()}
    assert pending["updated_at"] > more["updated_at"]
    # Under efs `active` does not imply any feature.
    bare = op.ok("POST", path, {"status": "active"})
    assert bare["programs"]["efs"] == {"status": "active", "features": features()}

    cleared = op.ok("DELETE", path)
    assert cleared["programs"] == {"cyber": None, "efs": None}
    assert cleared["updated_at"] > bare["updated_at"]
    assert op.read_r1(profile)["trust_grants"] == {}


# --- enforcement actions -----------------------------------------------------------------------


def test_open_enforcement_action_validation(op: Operator) -> None:
    profile = op.profile("Eve")
    path = f"/v1/admin/user_profiles/{profile}/enforcement_actions"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    for body, message in (
        ({}, "type: must be one of restriction, ban"),
        ({"type": "warning", "reason": "high_harm"}, "type: must be one of restriction, ban"),
        ({"type": "ban"}, REASONS),
        ({"type": "ban", "reason": "spam"}, REASONS),
        ({"type": "ban", "reason": "high_harm", "verifiable": True}, "verifiable: not allowed for a ban"),
        ({"type": "ban", "reason": "high_harm", "expires_at": future}, "expires_at: not allowed for a ban"),
        ({"type": "restriction", "reason": "high_harm", "expires_at": past}, "expires_at: must be in the future"),
        (
            {"type": "restriction", "reason": "account_compromise", "expires_at": future},
            "expires_at: must be null when reason is account_compromise",
        ),
        (
            {"type": "restriction", "reason": "high_harm", "expires_at": "2099-01-01"},
            "expires_at: must be a complete RFC 3339 timestamp with a UTC offset",
        ),
        ({"type": "restriction", "reason": "high_harm", "expires_at": 5}, "expires_at: must be an RFC 3339 timestamp"),
        ({"type": "restriction", "reason": "high_harm", "note": "n" * 1001}, "note: must be at most 1000 characters"),
        ({"type": "restriction", "reason": "high_harm", "verifiable": "yes"}, "verifiable: must be a boolean"),
        ({"type": "restriction", "reason": "high_harm", "action": "verify"}, "action: unknown field"),
    ):
        invalid(op.admin.post(path, json=body), message)
    assert op.ok("GET", path) == {"data": [], "next_page": None}
    assert op.read(profile)["enforcement_status"] == "unrestricted"

    # Accepted edge values: a note of exactly 1,000 characters, an explicit null expiry.
    kept = op.open_action(profile, type="restriction", reason="account_compromise", expires_at=None, note="n" * 1000)
    assert kept["note"] == "n" * 1000 and kept["expires_at"] is None and kept["verifiable"] is False
    ban = op.open_action(profile, type="ban", reason="unspecified", expires_at=None)
    assert ban["action"] is None and ban["verifiable"] is False
    timed = op.open_action(profile, type="restriction", reason="high_harm", expires_at="2099-01-01T01:00:00+01:00")
    assert timed["expires_at"] == "2099-01-01T00:00:00.000000Z"
    body = {"type": "ban", "reason": "high_harm"}
    not_found(
        op.admin.post(f"/v1/admin/user_profiles/{MISSING_PROFILE}/enforcement_actions", json=body),
        "user profile not found",
    )
    not_found(op.admin.get(f"/v1/admin/user_profiles/{MISSING_PROFILE}/enforcement_actions"), "user profile not found")


def test_an_action_past_its_expiry_reads_as_expired_at_once(op: Operator) -> None:
    """provider.md §5.8: the background task stores the expiry later; every read shows it already."""
    profile = op.profile()
    expires_at = utc_now() - timedelta(seconds=5)  # only the service layer can open one in the past
    action_id = op.database.run(
        lambda c: provider.open_enforcement_action(
            c, op.organization_id, profile, type="restriction", reason="high_harm", expires_at=expires_at,
            now=expires_at - timedelta(seconds=10),
        ),
        write=True,
    )  # fmt: skip
    shown = op.ok("GET", f"/v1/admin/enforcement_actions/{action_id}")
    assert (shown["resolution"], shown["resolved_at"]) == ("expired", shown["expires_at"])
    assert shown["expires_at"] == format_timestamp(expires_at)
    path = f"/v1/admin/user_profiles/{profile}/enforcement_actions"
    assert op.ok("GET", path, state="resolved")["data"] == [shown]
    assert op.ok("GET", path, state="open")["data"] == []
    conflict = op.admin.post(f"/v1/admin/enforcement_actions/{action_id}/resolve", json={})
    assert_error(conflict, 409, "conflict_error", "enforcement action is already resolved", no_retry=True)
    assert op.read(profile)["enforcement_status"] == "unrestricted"


def test_enforcement_action_lifecycle(op: Operator) -> None:
    profile = op.profile("Mallory")
    created = op.read(profile)["updated_at"]
    restriction = op.open_action(
        profile, type="restriction", reason="unsupported_region", verifiable=True, note="Signup from a blocked region"
    )
    assert restriction == {
        "id": restriction["id"],
        "type": "restriction",
        "user_profile_id": profile,
        "action": "verify",
        "expires_at": None,
        "opened_at": restriction["opened_at"],
        "reason": "unsupported_region",
        "verifiable": True,
        "resolved_at": None,
        "resolution": None,
        "note": "Signup from a blocked region",
    }
    assert restriction["id"].startswith("enac_") and TIMESTAMP.fullmatch(restriction["opened_at"])
    ga = op.read(profile)
    assert ga["enforcement_status"] == "restricted"
    public = {key: restriction[key] for key in ("id", "type", "action", "expires_at", "opened_at", "reason")}
    assert ga["enforcement_actions"] == [public]
    assert ga["updated_at"] == created

    timed = op.open_action(profile, type="restriction", reason="high_harm", expires_at="2099-06-01T00:00:00Z")
    assert timed["action"] is None and timed["verifiable"] is False and timed["note"] is None
    assert timed["expires_at"] == "2099-06-01T00:00:00.000000Z"
    ban = op.open_action(profile, type="ban", reason="fraud_or_abuse", note="chargebacks")
    assert op.read(profile)["enforcement_status"] == "banned"

    path = f"/v1/admin/user_profiles/{profile}/enforcement_actions"
    newest_first = [ban["id"], timed["id"], restriction["id"]]
    assert ids(op.ok("GET", path)) == newest_first
    assert op.ok("GET", path, state="all") == {"data": [ban, timed, restriction], "next_page": None}
    assert ids(op.ok("GET", path, state="open")) == newest_first
    assert ids(op.ok("GET", path, state="resolved")) == []
    invalid(op.admin.get(path, params={"state": "closed"}), "state: must be one of open, resolved, all")
    assert op.ok("GET", f"/v1/admin/enforcement_actions/{timed['id']}") == timed

    resolve = f"/v1/admin/enforcement_actions/{ban['id']}/resolve"
    invalid(op.admin.post(resolve, json={"reason": "x"}), "reason: unknown field")
    resolved = op.ok("POST", resolve, {"note": "Customer verified by phone"})
    assert resolved == {
        **ban,
        "resolved_at": resolved["resolved_at"],
        "resolution": "operator",
        "note": "Customer verified by phone",
    }
    assert TIMESTAMP.fullmatch(resolved["resolved_at"]) and resolved["resolved_at"] >= ban["opened_at"]
    assert op.ok("GET", f"/v1/admin/enforcement_actions/{ban['id']}") == resolved
    response = op.admin.post(resolve, json={})
    assert_error(response, 409, "conflict_error", "enforcement action is already resolved", no_retry=True)
    ga = op.read(profile)
    assert ga["enforcement_status"] == "restricted"
    assert [a["id"] for a in ga["enforcement_actions"]] == [restriction["id"], timed["id"]]
    assert ids(op.ok("GET", path, state="open")) == [timed["id"], restriction["id"]]
    assert op.ok("GET", path, state="resolved")["data"] == [resolved]

    kept_note = op.ok("POST", f"/v1/admin/enforcement_actions/{restriction['id']}/resolve")
    assert kept_note == {
        **restriction,
        "action": None,
        "resolved_at": kept_note["resolved_at"],
        "resolution": "operator",
        "note": "Signup from a blocked region",
    }
    op.ok("POST", f"/v1/admin/enforcement_actions/{timed['id']}/resolve", {})
    ga = op.read(profile)
    assert (ga["enforcement_status"], ga["enforcement_actions"], ga["updated_at"]) == ("unrestricted", [], created)
    assert ids(op.ok("GET", path, state="open")) == []
    assert ids(op.ok("GET", path, state="resolved")) == newest_first

    for method, suffix in (("GET", ""), ("POST", "/resolve")):
        response = op.admin.request(
            method, f"/v1/admin/enforcement_actions/enac_000000000000000000000000{suffix}", json={}
        )
        not_found(response, "enforcement action not found")


# --- identity checks ---------------------------------------------------------------------------


def test_identity_checks(op: Operator) -> None:
    profiles = [op.profile(f"User {i}") for i in range(3)]
    restrictions = [
        op.open_action(profile, type="restriction", reason="unsupported_region", verifiable=True)
        for profile in profiles
    ]
    # A second, non-verifiable restriction on the first profile: an identity check cannot clear it.
    other = op.open_action(profiles[0], type="restriction", reason="usage_policy_violation")
    checks = [op.submit_check(profile) for profile in profiles]
    assert [op.read(p)["enforcement_status"] for p in profiles] == ["pending"] * 3
    assert op.ok("GET", f"/v1/admin/enforcement_actions/{restrictions[1]['id']}")["action"] is None
    path = "/v1/admin/identity_checks"

    listed = op.ok("GET", path)
    assert ids(listed) == checks and listed["next_page"] is None
    first = listed["data"][0]
    assert first == {
        "id": checks[0],
        "type": "identity_check",
        "user_profile_id": profiles[0],
        "status": "submitted",
        **IDENTITY,
        "submitted_at": first["submitted_at"],
        "decided_at": None,
        "decision_note": None,
    }
    assert TIMESTAMP.fullmatch(first["submitted_at"])
    assert ids(op.ok("GET", path, status="submitted")) == checks
    assert ids(op.ok("GET", path, user_profile_id=profiles[1])) == [checks[1]]
    assert walk(op, path, limit=2) == [checks[:2], checks[2:]]
    invalid(op.admin.get(path, params={"status": "pending"}), "status: must be one of submitted, approved, rejected")
    invalid(op.admin.get(path, params={"limit": "0"}), "limit: must be an integer from 1 to 100")

    # Approve: every open verifiable restriction is resolved; the non-verifiable one stays.
    approved = op.ok("POST", f"{path}/{checks[0]}/approve", {"note": "Passport matches"})
    assert approved == {
        **first,
        "status": "approved",
        "decided_at": approved["decided_at"],
        "decision_note": "Passport matches",
    }
    assert TIMESTAMP.fullmatch(approved["decided_at"])
    cleared = op.ok("GET", f"/v1/admin/enforcement_actions/{restrictions[0]['id']}")
    assert (cleared["resolution"], cleared["action"]) == ("identity_check", None)
    assert TIMESTAMP.fullmatch(cleared["resolved_at"])
    ga = op.read(profiles[0])
    assert ga["enforcement_status"] == "restricted"
    assert [a["id"] for a in ga["enforcement_actions"]] == [other["id"]]
    op.ok("POST", f"/v1/admin/enforcement_actions/{other['id']}/resolve")
    assert op.read(profiles[0])["enforcement_status"] == "unrestricted"

    # Reject, retry allowed (default): the restriction can be verified again.
    invalid(op.admin.post(f"{path}/{checks[1]}/reject", json={"allow_retry": "no"}), "allow_retry: must be a boolean")
    invalid(op.admin.post(f"{path}/{checks[1]}/approve", json={"allow_retry": True}), "allow_retry: unknown field")
    rejected = op.ok("POST", f"{path}/{checks[1]}/reject", {})
    assert (rejected["status"], rejected["decision_note"]) == ("rejected", None)
    retry = op.ok("GET", f"/v1/admin/enforcement_actions/{restrictions[1]['id']}")
    assert (retry["action"], retry["verifiable"], retry["resolved_at"]) == ("verify", True, None)
    ga = op.read(profiles[1])
    assert ga["enforcement_status"] == "restricted"
    assert [(a["id"], a["action"]) for a in ga["enforcement_actions"]] == [(restrictions[1]["id"], "verify")]

    # Reject without retry: not verifiable any more.
    final = op.ok("POST", f"{path}/{checks[2]}/reject", {"allow_retry": False, "note": "Forged"})
    assert (final["status"], final["decision_note"]) == ("rejected", "Forged")
    locked = op.ok("GET", f"/v1/admin/enforcement_actions/{restrictions[2]['id']}")
    assert (locked["action"], locked["verifiable"], locked["resolved_at"]) == (None, False, None)
    ga = op.read(profiles[2])
    assert ga["enforcement_status"] == "restricted"
    assert [(a["id"], a["action"]) for a in ga["enforcement_actions"]] == [(restrictions[2]["id"], None)]

    assert ids(op.ok("GET", path, status="submitted")) == []
    assert ids(op.ok("GET", path, status=["approved", "rejected"])) == checks
    assert ids(op.ok("GET", path, status="rejected")) == checks[1:]
    for check, status in ((checks[0], "approved"), (checks[1], "rejected")):
        for action in ("approve", "reject"):
            response = op.admin.post(f"{path}/{check}/{action}", json={})
            message = f"identity check is not awaiting a decision (status: {status})"
            assert_error(response, 409, "conflict_error", message, no_retry=True)
    for action in ("approve", "reject"):
        not_found(op.admin.post(f"{path}/idc_000000000000000000000000/{action}", json={}), "identity check not found")

    # The retried check of the second profile can be approved; its profile is unrestricted again.
    retried = op.submit_check(profiles[1])
    op.ok("POST", f"{path}/{retried}/approve")
    assert op.read(profiles[1])["enforcement_status"] == "unrestricted"


# --- access ------------------------------------------------------------------------------------

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
