"""Two changes to one thing at once, on SQLite and PostgreSQL: a decision made while another one's
transaction is still open must find that one committed and be refused, so that one decision stands
and one event is recorded; an action opened while its profile is being deleted must find it gone.

SQLite serialises writers, so the second transaction only starts once the first has committed. On
PostgreSQL the second reads before the first commits; it passes only because the services lock what
they are about to check, profile first, before checking it (the lock order in provider/service.py),
and the expiry pass leaves alone the actions a decision holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, text

from tests.integration.service_support import Tenant, apply
from uprof.http.errors import Conflict, NotFound
from uprof.profiles import service as profiles
from uprof.provider import repository
from uprof.provider import service as provider
from uprof.webhooks import outbox

SECOND = timedelta(seconds=1)
WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
Work = Callable[[Connection, str], object]


def second_during_first(tenant: Tenant, first: Work, second: Work) -> BaseException | None:
    """Run `first` in an open unit of work, start `second` in another thread and let it get as far as it
    can (on PostgreSQL: until it waits on a lock, or ends), then commit `first`. What `second` raised."""
    outcome: list[BaseException | None] = []

    def run_second() -> None:
        try:
            tenant.run(second)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    deciding = threading.Thread(target=run_second)
    with tenant.database.unit_of_work(write=True) as connection:
        first(connection, tenant.organization_id)
        deciding.start()
        if tenant.database.is_sqlite:
            time.sleep(0.2)  # it queues for the one writer: nothing to observe
        else:
            deadline = time.monotonic() + 10
            while deciding.is_alive() and not tenant.database.run(lambda c: c.scalar(WAITING_ON_A_LOCK), write=False):
                assert time.monotonic() < deadline, "the second decision neither waited nor ended"
                time.sleep(0.01)
    deciding.join(10)
    assert not deciding.is_alive()
    return outcome[0]


def test_two_applications_at_once_make_one(tenant: Tenant, profile_id: str, now: datetime) -> None:
    def submit(connection: Connection, organization_id: str) -> object:
        return provider.submit_application(
            connection,
            organization_id,
            profile_id,
            program="cyber",
            source="portal",
            requested=["a"],
            use_case="x",
            applicant_organization=None,
            contact_email=None,
            now=now,
        )

    refused = second_during_first(tenant, submit, submit)

    assert isinstance(refused, Conflict) and refused.message == "the profile's cyber status is pending"
    assert len(tenant.run(lambda c, org: repository.enrollments_of_profile(c, profile_id, 10))) == 1
    assert len(tenant.types_recorded()) == 1


def test_an_enrollment_approved_and_rejected_at_once_is_decided_once(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    enrollment_id = apply(tenant, profile_id, now)
    tenant.recorded()

    refused = second_during_first(
        tenant,
        lambda c, org: provider.approve_enrollment(
            c, org, enrollment_id, items=None, requirements=None, note=None, now=now + SECOND
        ),
        lambda c, org: provider.reject_enrollment(c, org, enrollment_id, note=None, now=now + 2 * SECOND),
    )

    assert isinstance(refused, Conflict), "the rejection went through after the approval committed"
    assert tenant.enrollment(enrollment_id).status == "approved"
    cyber = tenant.profile(profile_id).profile.cyber
    assert cyber is not None and cyber["status"] == "active"
    assert len(tenant.types_recorded()) == 1


def test_an_action_resolved_twice_at_once_is_resolved_once(tenant: Tenant, profile_id: str, now: datetime) -> None:
    action_id = tenant.run(
        lambda c, org: provider.open_enforcement_action(c, org, profile_id, type="ban", reason="high_harm", now=now)
    )
    tenant.recorded()

    refused = second_during_first(
        tenant,
        lambda c, org: provider.resolve_enforcement_action(c, org, action_id, now + SECOND, "first"),
        lambda c, org: provider.resolve_enforcement_action(c, org, action_id, now + 2 * SECOND, "second"),
    )

    assert isinstance(refused, Conflict), "the second resolution went through after the first committed"
    stored = tenant.action(action_id)
    assert (stored.resolved_at, stored.note) == (now + SECOND, "first")
    assert len(tenant.types_recorded()) == 1


def test_an_identity_check_approved_and_rejected_at_once_is_decided_once(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    tenant.run(
        lambda c, org: provider.open_enforcement_action(
            c, org, profile_id, type="restriction", reason="unsupported_region", verifiable=True, now=now
        )
    )
    fields = {"full_name": "Ada Lovelace", "country": "GB", "document_type": "passport", "document_last4": "1234"}
    check_id = tenant.run(lambda c, org: provider.submit_identity_check(c, org, profile_id, fields, now))
    tenant.recorded()

    refused = second_during_first(
        tenant,
        lambda c, org: provider.approve_identity_check(c, org, check_id, note=None, now=now + SECOND),
        lambda c, org: provider.reject_identity_check(
            c, org, check_id, allow_retry=False, note=None, now=now + 2 * SECOND
        ),
    )

    assert isinstance(refused, Conflict), "the rejection went through after the approval committed"
    assert tenant.identity_check(check_id).status == "approved"


def test_an_action_opened_while_its_profile_is_deleted_is_not_found(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    refused = second_during_first(
        tenant,
        lambda c, org: profiles.delete(c, org, profile_id),
        lambda c, org: provider.open_enforcement_action(c, org, profile_id, type="ban", reason="high_harm", now=now),
    )

    assert isinstance(refused, NotFound), f"refused with {refused!r}"
    assert tenant.types_recorded() == []


def expiring_restriction_with_check(
    tenant: Tenant, profile_id: str, now: datetime, expires_at: datetime
) -> tuple[str, str]:
    """A verifiable restriction that expires at `expires_at` and the identity check submitted to clear it."""
    action_id = tenant.run(
        lambda c, org: provider.open_enforcement_action(
            c,
            org,
            profile_id,
            type="restriction",
            reason="unsupported_region",
            verifiable=True,
            expires_at=expires_at,
            now=now,
        )
    )
    fields = {"full_name": "Ada Lovelace", "country": "GB", "document_type": "passport", "document_last4": "1234"}
    check_id = tenant.run(lambda c, org: provider.submit_identity_check(c, org, profile_id, fields, now))
    tenant.recorded()
    return action_id, check_id


@pytest.mark.parametrize("first", ["approval", "expiry"])
def test_an_action_cleared_by_a_check_as_it_expires_is_resolved_once(
    tenant: Tenant, profile_id: str, now: datetime, first: str
) -> None:
    expires_at = now + 3600 * SECOND
    action_id, check_id = expiring_restriction_with_check(tenant, profile_id, now, expires_at)
    # The approval's request arrived a second before the expiry, the pass runs a second after it.
    approval_at, pass_at = expires_at - SECOND, expires_at + SECOND

    def approve(c: Connection, org: str) -> None:
        provider.approve_identity_check(c, org, check_id, note=None, now=approval_at)

    def expire(c: Connection, org: str) -> object:
        return provider.expire_actions(c, pass_at)

    refused = second_during_first(tenant, *((approve, expire) if first == "approval" else (expire, approve)))

    assert refused is None
    stored = tenant.action(action_id)
    expected = (approval_at, "identity_check") if first == "approval" else (expires_at, "expired")
    assert (stored.resolved_at, stored.resolution) == expected
    assert tenant.identity_check(check_id).status == "approved"
    assert tenant.types_recorded() == [outbox.ENFORCEMENT_ACTION_RESOLVED]


def decision_on(tenant: Tenant, profile_id: str, now: datetime, decision: str) -> Work:
    """A decision on a new object of the profile: an enrollment, an enforcement action or an identity check."""
    if decision == "enrollment":
        enrollment_id = apply(tenant, profile_id, now)
        return lambda c, org: provider.reject_enrollment(c, org, enrollment_id, note=None, now=now)
    action_id, check_id = expiring_restriction_with_check(tenant, profile_id, now, now + 3600 * SECOND)
    if decision == "enforcement action":
        return lambda c, org: provider.resolve_enforcement_action(c, org, action_id, now)
    return lambda c, org: provider.approve_identity_check(c, org, check_id, note=None, now=now)


@pytest.mark.parametrize("decision", ["enrollment", "enforcement action", "identity check"])
def test_a_decision_made_while_its_profile_is_deleted_is_not_found(
    tenant: Tenant, profile_id: str, now: datetime, decision: str
) -> None:
    decide = decision_on(tenant, profile_id, now, decision)
    tenant.recorded()

    refused = second_during_first(tenant, lambda c, org: profiles.delete(c, org, profile_id), decide)

    assert isinstance(refused, NotFound) and refused.message == f"{decision} not found", f"refused with {refused!r}"
    assert tenant.types_recorded() == []
