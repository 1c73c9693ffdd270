"""Enrollments (docs/reference/provider.md §5.4–5.5): listing with filters, order and pages; approving cyber and efs
applications with requested or explicit tiers, features and requirements; rejecting; conflicts."""

from __future__ import annotations

from tests.e2e.admin.support import (
    CYBER_DEFAULT,
    MISSING_PROFILE,
    NO_TIERS,
    TIMESTAMP,
    Operator,
    assert_error,
    features,
    ids,
    invalid,
    not_found,
    tiers,
    walk,
)

ENROLLMENT_STATUS = "status: must be one of pending, approved, rejected, superseded"


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
    decision = {"tiers": ["b", "b"], "requirements": {"human_review": False}, "note": note}
    approved = op.ok("POST", approve, decision)
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
