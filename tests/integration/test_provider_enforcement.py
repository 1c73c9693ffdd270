"""Enforcement actions and identity checks, called as services inside a real unit of work on SQLite and
PostgreSQL: opening, resolving and expiring actions, submitting and deciding identity checks, the
refused transitions, what the profile's `enforcement_status` and `enforcement_actions` then read, that
`updated_at` stays put, and the `enforcement_action_opened` / `_resolved` events (one per action) that
go to the endpoints subscribed to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from tests.integration.service_support import Tenant, new_tenant
from uprof.db.unit_of_work import Database
from uprof.http.errors import Conflict, NotFound
from uprof.http.revision_choice import Revision
from uprof.provider import repository
from uprof.provider import service as provider
from uprof.timestamps import format_timestamp
from uprof.webhooks.outbox import ENFORCEMENT_ACTION_OPENED, ENFORCEMENT_ACTION_RESOLVED

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
IDENTITY = {"full_name": "Ada Lovelace", "country": "GB", "document_type": "passport", "document_last4": "12A4"}


def open_action(
    tenant: Tenant,
    profile_id: str,
    now: datetime,
    type: str = "restriction",
    reason: str = "unsupported_region",
    **options: Any,
) -> str:
    return tenant.run(
        lambda c, org: provider.open_enforcement_action(
            c, org, profile_id, type=type, reason=reason, now=now, **options
        )
    )


def resolve(tenant: Tenant, action_id: str, now: datetime, note: str | None = None) -> None:
    tenant.run(lambda c, org: provider.resolve_enforcement_action(c, org, action_id, now, note))


def submit_check(tenant: Tenant, profile_id: str, now: datetime) -> str:
    return tenant.run(lambda c, org: provider.submit_identity_check(c, org, profile_id, dict(IDENTITY), now))


def enforcement(tenant: Tenant, profile_id: str) -> tuple[str, list[tuple[str, str | None]]]:
    """The GA `enforcement_status`, and each listed action's ID and `action`."""
    shown = tenant.rendered(profile_id)
    return shown["enforcement_status"], [(item["id"], item["action"]) for item in shown["enforcement_actions"]]


# --- opening and resolving ---


@pytest.mark.parametrize(("kind", "status"), [("restriction", "restricted"), ("ban", "banned")])
def test_an_opened_action_applies_at_once(
    tenant: Tenant, profile_id: str, now: datetime, kind: str, status: str
) -> None:
    expires_at = now + HOUR if kind == "restriction" else None
    action_id = open_action(tenant, profile_id, now + SECOND, kind, "fraud_or_abuse", expires_at=expires_at, note="n")

    stored = tenant.action(action_id)
    assert (stored.type, stored.reason, stored.verifiable, stored.note) == (kind, "fraud_or_abuse", False, "n")
    assert (stored.opened_at, stored.expires_at, stored.resolved_at) == (now + SECOND, expires_at, None)
    shown = tenant.rendered(profile_id)
    assert shown["enforcement_status"] == status
    assert shown["enforcement_actions"] == [
        {
            "id": action_id,
            "type": kind,
            "action": None,
            "expires_at": None if expires_at is None else format_timestamp(expires_at),
            "opened_at": format_timestamp(now + SECOND),
            "reason": "fraud_or_abuse",
        }
    ]
    assert shown["updated_at"] == format_timestamp(now)  # enforcement leaves updated_at alone
    assert "enforcement_status" not in tenant.rendered(profile_id, Revision.R3)
    [event] = tenant.recorded()
    assert (event.type, event.profile_id, event.action_id, event.created_at) == (
        ENFORCEMENT_ACTION_OPENED,
        profile_id,
        action_id,
        now + SECOND,
    )
    assert event.deliveries == {tenant.everything}  # not subscribed: programs_only; disabled: none


def test_the_strongest_open_action_decides_the_status(tenant: Tenant, profile_id: str, now: datetime) -> None:
    restriction = open_action(tenant, profile_id, now, verifiable=True)
    ban = open_action(tenant, profile_id, now + SECOND, "ban", "high_harm")
    assert enforcement(tenant, profile_id) == ("banned", [(restriction, "verify"), (ban, None)])  # oldest first
    resolve(tenant, ban, now + 2 * SECOND)
    assert enforcement(tenant, profile_id) == ("restricted", [(restriction, "verify")])
    resolve(tenant, restriction, now + 3 * SECOND)
    assert enforcement(tenant, profile_id) == ("unrestricted", [])
    assert tenant.types_recorded() == [ENFORCEMENT_ACTION_OPENED] * 2 + [ENFORCEMENT_ACTION_RESOLVED] * 2


def test_resolving_an_action_ends_it(tenant: Tenant, profile_id: str, now: datetime) -> None:
    with_note = open_action(tenant, profile_id, now, note="Signup from a blocked region")
    keeps_note = open_action(tenant, profile_id, now, note="kept")
    tenant.recorded()

    resolve(tenant, with_note, now + SECOND, note="Moved to a supported region")
    resolve(tenant, keeps_note, now + 2 * SECOND)

    stored = tenant.action(with_note)
    assert (stored.resolved_at, stored.resolution, stored.note) == (
        now + SECOND,
        "operator",
        "Moved to a supported region",
    )
    assert tenant.action(keeps_note).note == "kept"
    assert enforcement(tenant, profile_id) == ("unrestricted", [])
    assert tenant.profile(profile_id).profile.updated_at == now
    events = tenant.recorded()
    assert [(event.type, event.action_id, event.created_at) for event in events] == [
        (ENFORCEMENT_ACTION_RESOLVED, with_note, now + SECOND),
        (ENFORCEMENT_ACTION_RESOLVED, keeps_note, now + 2 * SECOND),
    ]
    assert all(event.deliveries == {tenant.everything} for event in events)


@pytest.mark.parametrize("ended_by", ["operator", "expiry"])
def test_an_action_that_is_not_open_cannot_be_resolved(
    tenant: Tenant, profile_id: str, now: datetime, ended_by: str
) -> None:
    if ended_by == "operator":
        action_id = open_action(tenant, profile_id, now)
        resolve(tenant, action_id, now + SECOND)
    else:  # past its expires_at, whether or not the expiry pass has run
        action_id = open_action(tenant, profile_id, now - 2 * HOUR, expires_at=now - HOUR)
    tenant.recorded()
    before = tenant.action(action_id)

    with pytest.raises(Conflict, match="^enforcement action is already resolved$") as refused:
        resolve(tenant, action_id, now + 2 * SECOND, note="again")

    assert refused.value.headers == {"x-should-retry": "false"}
    assert tenant.action(action_id) == before
    assert tenant.recorded() == []


def test_actions_of_another_organization_are_not_found(
    services_database: Database, tenant: Tenant, now: datetime
) -> None:
    other = new_tenant(services_database, now)
    foreign_profile = other.new_profile(now)
    foreign_action = open_action(other, foreign_profile, now)
    with pytest.raises(NotFound, match="^enforcement action not found$"):
        resolve(tenant, foreign_action, now)
    with pytest.raises(NotFound, match="^user profile not found$"):
        open_action(tenant, foreign_profile, now)
    assert other.action(foreign_action).resolved_at is None
    assert tenant.recorded() == []


# --- expiry ---


def test_an_action_past_its_expiry_disappears_before_the_expiry_pass(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    action_id = open_action(tenant, profile_id, now - 2 * HOUR, "restriction", verifiable=True, expires_at=now - SECOND)
    assert enforcement(tenant, profile_id) == ("unrestricted", [])
    assert tenant.action(action_id).resolved_at is None  # the pass has not run
    with pytest.raises(Conflict, match="^no restriction can be cleared by an identity check$"):
        submit_check(tenant, profile_id, now)


def test_the_expiry_pass_resolves_due_actions_as_of_their_expiry(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    # The pass covers the whole database: start from a time no other test's action expires after.
    start = now + timedelta(days=1000)
    tenant.run(lambda c, org: provider.expire_actions(c, start))
    first = open_action(tenant, profile_id, now, expires_at=start + HOUR)
    second = open_action(tenant, profile_id, now, "restriction", "high_harm", expires_at=start + 2 * HOUR)
    lasting = open_action(tenant, profile_id, now, "ban", "high_harm")
    resolved_early = open_action(tenant, profile_id, now, expires_at=start + HOUR)
    resolve(tenant, resolved_early, now + SECOND)
    tenant.recorded()

    def expire(at: datetime, batch: int = 500) -> int:
        return tenant.run(lambda c, org: provider.expire_actions(c, at, batch))

    assert expire(start + HOUR - timedelta(microseconds=1)) == 0
    assert expire(start + 3 * HOUR, batch=1) == 1  # the earliest expiry first
    stored = tenant.action(first)
    assert (stored.resolved_at, stored.resolution) == (start + HOUR, "expired")
    assert tenant.action(second).resolved_at is None
    assert expire(start + 3 * HOUR) == 1
    assert expire(start + 3 * HOUR) == 0  # nothing expires twice

    assert (tenant.action(second).resolved_at, tenant.action(second).resolution) == (start + 2 * HOUR, "expired")
    assert (tenant.action(resolved_early).resolution, tenant.action(lasting).resolved_at) == ("operator", None)
    assert enforcement(tenant, profile_id) == ("banned", [(lasting, None)])
    events = tenant.recorded()
    # Each event is created when the pass commits, not at the expiry it reports.
    assert len(events) == 2 and {(event.type, event.action_id, event.created_at) for event in events} == {
        (ENFORCEMENT_ACTION_RESOLVED, first, start + 3 * HOUR),
        (ENFORCEMENT_ACTION_RESOLVED, second, start + 3 * HOUR),
    }
    assert all(event.deliveries == {tenant.everything} for event in events)
    assert events[0].body["created_at"] == format_timestamp(start + 3 * HOUR)


# --- identity checks ---


def no_action(tenant: Tenant, profile_id: str, now: datetime) -> None:
    pass


def not_verifiable(tenant: Tenant, profile_id: str, now: datetime) -> None:
    open_action(tenant, profile_id, now)


def ban_only(tenant: Tenant, profile_id: str, now: datetime) -> None:
    open_action(tenant, profile_id, now, "ban", "high_harm")


def resolved(tenant: Tenant, profile_id: str, now: datetime) -> None:
    resolve(tenant, open_action(tenant, profile_id, now, verifiable=True), now)


def expired(tenant: Tenant, profile_id: str, now: datetime) -> None:
    open_action(tenant, profile_id, now - HOUR, verifiable=True, expires_at=now - SECOND)


@pytest.mark.parametrize("setup", [no_action, not_verifiable, ban_only, resolved, expired])
def test_an_identity_check_needs_an_open_verifiable_restriction(
    tenant: Tenant, profile_id: str, now: datetime, setup: Any
) -> None:
    setup(tenant, profile_id, now)
    with pytest.raises(Conflict, match="^no restriction can be cleared by an identity check$"):
        submit_check(tenant, profile_id, now + SECOND)
    assert tenant.run(lambda c, org: repository.identity_checks_of_profile(c, profile_id)) == []


def test_a_submitted_check_makes_the_profile_pending(tenant: Tenant, profile_id: str, now: datetime) -> None:
    restriction = open_action(tenant, profile_id, now, verifiable=True)
    tenant.recorded()

    check_id = submit_check(tenant, profile_id, now + SECOND)

    stored = tenant.identity_check(check_id)
    assert (stored.status, stored.submitted_at, stored.user_profile_id) == ("submitted", now + SECOND, profile_id)
    assert (stored.full_name, stored.country, stored.document_type, stored.document_last4) == tuple(IDENTITY.values())
    assert enforcement(tenant, profile_id) == ("pending", [(restriction, None)])
    assert tenant.profile(profile_id).profile.updated_at == now
    assert tenant.recorded() == []
    with pytest.raises(Conflict, match="^an identity check is already awaiting a decision$"):
        submit_check(tenant, profile_id, now + 2 * SECOND)


@pytest.mark.parametrize(
    ("type", "reason", "status"), [("ban", "high_harm", "banned"), ("restriction", "account_compromise", "restricted")]
)
def test_a_submitted_check_does_not_outrank_a_ban_or_a_compromise(
    tenant: Tenant, profile_id: str, now: datetime, type: str, reason: str, status: str
) -> None:
    open_action(tenant, profile_id, now, verifiable=True)
    open_action(tenant, profile_id, now, type, reason)
    submit_check(tenant, profile_id, now + SECOND)
    assert enforcement(tenant, profile_id)[0] == status


def test_approving_a_check_resolves_every_open_verifiable_restriction(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    first = open_action(tenant, profile_id, now, verifiable=True)
    second = open_action(tenant, profile_id, now + SECOND, "restriction", "unspecified", verifiable=True)
    other = open_action(tenant, profile_id, now + 2 * SECOND, "restriction", "high_harm")
    lapsed = open_action(tenant, profile_id, now - HOUR, verifiable=True, expires_at=now - SECOND)
    check_id = submit_check(tenant, profile_id, now)
    tenant.recorded()
    decided = now + 3 * SECOND

    tenant.run(lambda c, org: provider.approve_identity_check(c, org, check_id, note="Passport seen", now=decided))

    stored = tenant.identity_check(check_id)
    assert (stored.status, stored.decided_at, stored.decision_note) == ("approved", decided, "Passport seen")
    for action_id in (first, second):
        assert (tenant.action(action_id).resolved_at, tenant.action(action_id).resolution) == (
            decided,
            "identity_check",
        )
    # The expiry pass, not the check, resolves the one that had expired.
    assert tenant.action(other).resolved_at is None and tenant.action(lapsed).resolved_at is None
    assert enforcement(tenant, profile_id) == ("restricted", [(other, None)])
    events = tenant.recorded()
    assert sorted((event.type, event.action_id) for event in events) == sorted(
        [(ENFORCEMENT_ACTION_RESOLVED, first), (ENFORCEMENT_ACTION_RESOLVED, second)]
    )
    assert all(event.deliveries == {tenant.everything} and event.created_at == decided for event in events)


def test_rejecting_a_check_with_retry_offers_it_again(tenant: Tenant, profile_id: str, now: datetime) -> None:
    restriction = open_action(tenant, profile_id, now, verifiable=True)
    check_id = submit_check(tenant, profile_id, now)
    tenant.recorded()

    reject = provider.reject_identity_check
    tenant.run(lambda c, org: reject(c, org, check_id, allow_retry=True, note="Blurry", now=now + SECOND))

    stored = tenant.identity_check(check_id)
    assert (stored.status, stored.decided_at, stored.decision_note) == ("rejected", now + SECOND, "Blurry")
    assert enforcement(tenant, profile_id) == ("restricted", [(restriction, "verify")])
    assert tenant.action(restriction).verifiable
    assert tenant.recorded() == []
    assert tenant.identity_check(submit_check(tenant, profile_id, now + 2 * SECOND)).status == "submitted"


def test_rejecting_a_check_without_retry_ends_verification(tenant: Tenant, profile_id: str, now: datetime) -> None:
    restriction = open_action(tenant, profile_id, now, verifiable=True)
    earlier = open_action(tenant, profile_id, now, verifiable=True)
    resolve(tenant, earlier, now)
    check_id = submit_check(tenant, profile_id, now)
    tenant.recorded()

    reject = provider.reject_identity_check
    tenant.run(lambda c, org: reject(c, org, check_id, allow_retry=False, note=None, now=now + SECOND))

    assert (tenant.action(restriction).verifiable, tenant.action(earlier).verifiable) == (False, True)
    assert enforcement(tenant, profile_id) == ("restricted", [(restriction, None)])
    assert tenant.recorded() == []
    with pytest.raises(Conflict, match="^no restriction can be cleared by an identity check$"):
        submit_check(tenant, profile_id, now + 2 * SECOND)


@pytest.mark.parametrize("first", ["approved", "rejected"])
@pytest.mark.parametrize("second", ["approve", "reject"])
def test_a_decided_check_cannot_be_decided_again(
    tenant: Tenant, profile_id: str, now: datetime, first: str, second: str
) -> None:
    open_action(tenant, profile_id, now, verifiable=True)
    check_id = submit_check(tenant, profile_id, now)

    def decide(connection: Connection, organization_id: str, decision: str, at: datetime) -> None:
        if decision.startswith("approve"):
            provider.approve_identity_check(connection, organization_id, check_id, note=decision, now=at)
        else:
            provider.reject_identity_check(
                connection, organization_id, check_id, allow_retry=True, note=decision, now=at
            )

    tenant.run(lambda c, org: decide(c, org, first, now + SECOND))
    tenant.recorded()
    before = (tenant.identity_check(check_id), enforcement(tenant, profile_id))

    with pytest.raises(Conflict, match=rf"^identity check is not awaiting a decision \(status: {first}\)$") as refused:
        tenant.run(lambda c, org: decide(c, org, second, now + 2 * SECOND))

    assert refused.value.headers == {"x-should-retry": "false"}
    assert (tenant.identity_check(check_id), enforcement(tenant, profile_id)) == before
    assert tenant.recorded() == []


def test_checks_of_another_organization_are_not_found(
    services_database: Database, tenant: Tenant, now: datetime
) -> None:
    other = new_tenant(services_database, now)
    foreign_profile = other.new_profile(now)
    open_action(other, foreign_profile, now, verifiable=True)
    foreign_check = submit_check(other, foreign_profile, now)
    for decide in (
        lambda c, org: provider.approve_identity_check(c, org, foreign_check, note=None, now=now),
        lambda c, org: provider.reject_identity_check(c, org, foreign_check, allow_retry=False, note=None, now=now),
        lambda c, org: provider.approve_identity_check(c, org, "idc_unknown", note=None, now=now),
    ):
        with pytest.raises(NotFound, match="^identity check not found$"):
            tenant.run(decide)
    with pytest.raises(NotFound, match="^user profile not found$"):
        submit_check(tenant, foreign_profile, now)
    assert other.identity_check(foreign_check).status == "submitted"
