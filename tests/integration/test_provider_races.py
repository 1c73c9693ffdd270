"""Two changes to one thing at once, on SQLite and PostgreSQL: a decision made while another one's
transaction is still open must find that one committed and be refused, so that one decision stands
and one event is recorded; an action opened while its profile is being deleted must find it gone.

SQLite serialises writers, so the second transaction only starts once the first has committed. On
PostgreSQL the second reads before the first commits; the services that lock what they are about to
check before checking it pass there too (applications). Those that check an unlocked row and then wait
for the first transaction's lock go on with what they read: those tests are marked as expected
failures on PostgreSQL, with the reason, until the services lock the row first.
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

SECOND = timedelta(seconds=1)
WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
UNLOCKED_READ = (
    "bug (PostgreSQL): the service checks the {row} without locking it (provider/service.py {check}) and "
    "only then waits for the lock the first decision holds, so the second decision goes ahead on what it "
    "read before the first committed: both callers succeed and {consequence}"
)

Work = Callable[[Connection, str], object]


def expect_unlocked_read_bug(
    request: pytest.FixtureRequest, tenant: Tenant, row: str, check: str, consequence: str
) -> None:
    if not tenant.database.is_sqlite:
        reason = UNLOCKED_READ.format(row=row, check=check, consequence=consequence)
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


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
    request: pytest.FixtureRequest, tenant: Tenant, profile_id: str, now: datetime
) -> None:
    expect_unlocked_read_bug(
        request,
        tenant,
        "enrollment",
        "pending_enrollment",
        "the rejection overwrites the approval (enrollment and program rejected) with a second event",
    )
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


def test_an_action_resolved_twice_at_once_is_resolved_once(
    request: pytest.FixtureRequest, tenant: Tenant, profile_id: str, now: datetime
) -> None:
    expect_unlocked_read_bug(
        request,
        tenant,
        "enforcement action",
        "resolve_enforcement_action",
        "the second overwrites resolved_at and note, and records a second enforcement_action_resolved event",
    )
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
    request: pytest.FixtureRequest, tenant: Tenant, profile_id: str, now: datetime
) -> None:
    expect_unlocked_read_bug(
        request,
        tenant,
        "identity check",
        "submitted_check",
        "the check ends rejected although the approval resolved its restrictions",
    )
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
    request: pytest.FixtureRequest, tenant: Tenant, profile_id: str, now: datetime
) -> None:
    if not tenant.database.is_sqlite:
        reason = (
            "bug (PostgreSQL): open_enforcement_action reads the profile without locking it, so an action "
            "opened while the profile is being deleted inserts a row whose foreign key then fails: an "
            "IntegrityError (a 500) instead of NotFound"
        )
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))

    refused = second_during_first(
        tenant,
        lambda c, org: profiles.delete(c, org, profile_id),
        lambda c, org: provider.open_enforcement_action(c, org, profile_id, type="ban", reason="high_harm", now=now),
    )

    assert isinstance(refused, NotFound), f"refused with {refused!r}"
    assert tenant.types_recorded() == []
