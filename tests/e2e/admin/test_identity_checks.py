"""Identity checks (docs/reference/provider.md §5.9): listing, approving (which resolves verifiable restrictions) and
rejecting with or without a retry."""

from __future__ import annotations

from tests.e2e.admin.support import IDENTITY, TIMESTAMP, Operator, assert_error, ids, invalid, not_found, walk


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
