"""Program standing set by the operator (docs/reference/provider.md §5.7): cyber tiers and requirements, efs features,
validation, removal, and pending enrollments superseded by a direct change."""

from __future__ import annotations

from tests.e2e.admin.support import (
    CYBER_DEFAULT,
    MISSING_PROFILE,
    NO_TIERS,
    Operator,
    assert_error,
    features,
    invalid,
    not_found,
    tiers,
)


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

    change = {"tiers": {"a": "active"}, "requirements": {"data_retention": False}}
    changed = op.ok("POST", path, change)
    assert changed["programs"]["cyber"] == {
        "status": "active",
        "tiers": tiers(a="active", c="active"),
        "requirements": {"data_retention": False, "human_review": True},
    }
    assert changed["updated_at"] > response["updated_at"]
    # The same call again changes nothing: `updated_at` stays.
    assert op.ok("POST", path, change) == changed
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
