"""Profiles as the operator sees them (docs/reference/provider.md §5.6): search by ID, external ID or name in any case,
and the operator view with requirements, enrollments, enforcement actions and identity checks."""

from __future__ import annotations

from tests.e2e.admin.support import MISSING_PROFILE, NO_TIERS, Operator, ids, invalid, not_found, tiers, walk


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
