"""Enforcement actions (docs/reference/provider.md §5.8): opening restrictions and bans with their validation, expiry,
listing by state, resolving, and what the profile shows meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.admin.support import MISSING_PROFILE, TIMESTAMP, Operator, assert_error, ids, invalid, not_found
from uprof.provider import service as provider
from uprof.timestamps import format_timestamp, utc_now

REASONS = (
    "reason: must be one of unsupported_region, fraud_or_abuse, high_harm, usage_policy_violation, "
    "account_compromise, unspecified"
)


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
    """docs/reference/provider.md §5.8: the background task stores the expiry later; every read shows it already."""
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
