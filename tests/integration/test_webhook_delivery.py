"""The life of a delivery, called as services inside a real unit of work on SQLite and PostgreSQL: the
retry schedule, a manual retry and its fresh budget, the retries it refuses, the automatic disabling
after five deliveries given up in a row, attempts whose delivery changed under their lease, and the
maintenance pass that expires enforcement actions. (Leases, release and retention: test_webhook_queue.py.)
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.integration.service_support import Tenant, add_endpoint, new_organization, new_tenant
from tests.integration.webhook_support import BOX
from uprof.db.unit_of_work import Database
from uprof.http.errors import Conflict, NotFound
from uprof.provider import service as provider
from uprof.provider.chores import DISPATCHER_CHORES
from uprof.webhooks import attempts, delivery_log, outbox
from uprof.webhooks import queue_repository as queue
from uprof.webhooks import service as endpoints
from uprof.webhooks.attempts import Claim, Policy
from uprof.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint
from uprof.webhooks.sender import Outcome

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


class NoJitter(random.Random):
    """The schedule's nominal delays, without the ±10 %."""

    def uniform(self, a: float, b: float) -> float:
        return 0.0


class Deliveries:
    """One organization with one endpoint, and the dispatcher's steps on the module's database."""

    def __init__(self, database: Database, now: datetime, policy: Policy) -> None:
        self.database, self.policy = database, policy
        self.organization_id = new_organization(database)
        self.endpoint_id = database.run(lambda c: add_endpoint(c, self.organization_id, now), write=True)

    def event(self, now: datetime) -> str:
        """Record an event; the ID of its delivery."""

        def work(connection: Any) -> str:
            event_id = outbox.record(connection, self.organization_id, outbox.PROGRAM_STATUS_UPDATED, "uprof_x", now)
            query = select(webhook_delivery.c.id).where(webhook_delivery.c.event_id == event_id)
            return str(connection.scalar(query))

        return self.database.run(work, write=True)

    def claim(self, now: datetime, limit: int = 10) -> list[Claim]:
        return self.database.run(lambda c: attempts.claim(c, now, limit, BOX), write=True)

    def attempt(self, item: Claim, status: int | None, now: datetime) -> datetime | None:
        """Record an attempt that got `status` (None: no answer); when its retry is due."""
        outcome = Outcome(now, 5, status, None if status else "connection_error", None)
        return self.database.run(lambda c: attempts.record(c, item, outcome, now, self.policy, NoJitter()), write=True)

    def fail_next(self, now: datetime) -> datetime | None:
        [item] = self.claim(now, limit=1)
        return self.attempt(item, None, now)

    def delivery(self, delivery_id: str) -> dict[str, Any]:
        query = select(webhook_delivery).where(webhook_delivery.c.id == delivery_id)
        return dict(self.database.run(lambda c: c.execute(query).one()._mapping, write=False))

    def attempt_numbers(self, delivery_id: str) -> list[int]:
        query = select(webhook_attempt.c.number).where(webhook_attempt.c.delivery_id == delivery_id)
        return self.database.run(lambda c: list(c.scalars(query.order_by(webhook_attempt.c.number))), write=False)

    def endpoint(self) -> dict[str, Any]:
        query = select(webhook_endpoint).where(webhook_endpoint.c.id == self.endpoint_id)
        return dict(self.database.run(lambda c: c.execute(query).one()._mapping, write=False))

    def set_state(self, state: str, now: datetime) -> None:
        changes = {"state": state}
        self.database.run(
            lambda c: endpoints.update(c, self.organization_id, self.endpoint_id, changes, now), write=True
        )

    def retry(self, delivery_id: str, now: datetime) -> delivery_log.DeliveryRecord:
        return self.database.run(lambda c: delivery_log.retry(c, self.organization_id, delivery_id, now), write=True)


def deliveries_for(quiet: Database, now: datetime, max_attempts: int = 3) -> Deliveries:
    return Deliveries(quiet, now, Policy(max_attempts=max_attempts, retry_base_seconds=30.0))


def test_failed_attempts_are_retried_on_the_schedule_up_to_the_ceiling(quiet: Database, now: datetime) -> None:
    log = deliveries_for(quiet, now, max_attempts=13)
    delivery_id = log.event(now)
    at, waits = now, []
    for _ in range(12):
        retry_at = log.fail_next(at)
        assert retry_at is not None and log.delivery(delivery_id)["next_attempt_at"] == retry_at
        assert log.claim(retry_at - timedelta(microseconds=1)) == []  # not due before
        waits.append(int((retry_at - at).total_seconds()))
        at = retry_at
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 14400, 14400, 14400]
    assert log.fail_next(at) is None
    stored = log.delivery(delivery_id)
    assert (stored["status"], stored["attempt_count"], stored["finished_at"]) == ("failed", 13, at)


def test_a_manual_retry_starts_a_fresh_budget(quiet: Database, now: datetime) -> None:
    log = deliveries_for(quiet, now, max_attempts=2)
    delivery_id = log.event(now)
    retry_at = log.fail_next(now)
    assert retry_at is not None and log.fail_next(retry_at) is None
    assert log.delivery(delivery_id)["status"] == "failed"

    retried = log.retry(delivery_id, now + HOUR)

    assert (retried.delivery.status, retried.delivery.next_attempt_at, retried.delivery.finished_at) == (
        "pending",
        now + HOUR,
        None,
    )
    assert [attempt.number for attempt in retried.attempts] == [1, 2]
    assert log.fail_next(now + HOUR) == now + HOUR + 30 * SECOND  # the back-off starts again
    assert log.fail_next(now + HOUR + 30 * SECOND) is None  # and so does the budget: two more attempts
    assert log.attempt_numbers(delivery_id) == [1, 2, 3, 4]
    assert log.delivery(delivery_id)["status"] == "failed"


def test_a_succeeded_pending_or_disabled_delivery_is_not_retried(quiet: Database, now: datetime) -> None:
    log = deliveries_for(quiet, now)
    pending = log.event(now)
    with pytest.raises(Conflict, match=r"^webhook delivery cannot be retried \(status: pending\)$") as refused:
        log.retry(pending, now)
    assert refused.value.headers == {"x-should-retry": "false"}
    [item] = log.claim(now)
    log.attempt(item, 204, now)
    with pytest.raises(Conflict, match=r"^webhook delivery cannot be retried \(status: succeeded\)$"):
        log.retry(pending, now)

    cancelled = log.event(now)
    log.set_state("disabled", now)
    with pytest.raises(Conflict, match="^webhook delivery cannot be retried while its endpoint is disabled$"):
        log.retry(cancelled, now)
    assert log.delivery(cancelled)["status"] == "cancelled"
    log.set_state("enabled", now)

    other_organization = new_organization(quiet)
    with pytest.raises(NotFound, match="^webhook delivery not found$"):
        quiet.run(lambda c: delivery_log.retry(c, other_organization, cancelled, now), write=True)
    with pytest.raises(NotFound, match="^webhook delivery not found$"):
        log.retry("whdel_unknown", now)
    assert log.retry(cancelled, now + SECOND).delivery.status == "pending"  # the owner's retry, once enabled


def test_five_deliveries_given_up_in_a_row_disable_the_endpoint(quiet: Database, now: datetime) -> None:
    log = deliveries_for(quiet, now, max_attempts=1)
    for _ in range(4):
        log.event(now)
        log.fail_next(now)
    assert log.endpoint()["consecutive_failures"] == 4
    log.event(now)
    [item] = log.claim(now)
    log.attempt(item, 200, now)
    assert log.endpoint()["consecutive_failures"] == 0  # a success resets the count
    for _ in range(4):
        log.event(now)
        log.fail_next(now)
    log.event(now)
    [fifth] = log.claim(now)
    waiting = log.event(now)
    assert log.endpoint()["state"] == "enabled"

    log.attempt(fifth, 500, now + SECOND)

    stored = log.endpoint()
    assert (stored["state"], stored["disabled_reason"], stored["updated_at"]) == (
        "disabled",
        "consecutive_delivery_failures",
        now + SECOND,
    )
    assert (log.delivery(waiting)["status"], log.delivery(waiting)["finished_at"]) == ("cancelled", now + SECOND)
    log.set_state("enabled", now + 2 * SECOND)
    assert (log.endpoint()["disabled_reason"], log.endpoint()["consecutive_failures"]) == ("", 0)


def test_an_attempt_on_a_delivery_cancelled_meanwhile_is_kept_and_changes_nothing_else(
    quiet: Database, now: datetime
) -> None:
    log = deliveries_for(quiet, now, max_attempts=1)
    delivery_id = log.event(now)
    [item] = log.claim(now)
    log.set_state("disabled", now + SECOND)

    assert log.attempt(item, None, now + 2 * SECOND) is None

    stored = log.delivery(delivery_id)
    assert (stored["status"], stored["finished_at"], stored["attempt_count"]) == ("cancelled", now + SECOND, 1)
    assert stored["lease_expires_at"] is None
    assert log.attempt_numbers(delivery_id) == [1]
    assert log.endpoint()["consecutive_failures"] == 0  # not given up: it was cancelled


def test_an_attempt_whose_delivery_was_retried_meanwhile_is_not_recorded(quiet: Database, now: datetime) -> None:
    log = deliveries_for(quiet, now)
    delivery_id = log.event(now)
    [lost] = log.claim(now)
    log.set_state("disabled", now)
    log.set_state("enabled", now)
    log.retry(delivery_id, now + SECOND)  # the operator puts it back while the attempt is in flight

    assert log.attempt(lost, 200, now + 2 * SECOND) is None
    assert (log.delivery(delivery_id)["status"], log.attempt_numbers(delivery_id)) == ("pending", [])
    [again] = log.claim(now + 2 * SECOND)
    assert again.delivery_id == delivery_id and again.lease != lost.lease
    log.attempt(again, 200, now + 3 * SECOND)
    assert (log.delivery(delivery_id)["status"], log.attempt_numbers(delivery_id)) == ("succeeded", [1])


def test_deleting_the_endpoint_removes_its_attempts_and_voids_a_lease(quiet: Database, now: datetime) -> None:
    log = deliveries_for(quiet, now)
    delivery_id = log.event(now)
    log.fail_next(now)
    [in_flight] = log.claim(now + HOUR)
    quiet.run(lambda c: endpoints.delete(c, log.organization_id, log.endpoint_id), write=True)

    assert log.attempt(in_flight, 200, now + HOUR) is None
    query = select(webhook_delivery.c.id).where(webhook_delivery.c.id == delivery_id)
    assert quiet.run(lambda c: c.scalar(query), write=False) is None
    assert log.attempt_numbers(delivery_id) == []


# --- maintenance: expiry of enforcement actions ---


def expire_later(tenant: Tenant, now: datetime) -> tuple[str, datetime]:
    """An action of a new profile that expires after any other test's (the pass covers the whole
    database); the time, an hour after its expiry, when a pass should resolve it."""
    far = now + timedelta(days=2000)
    profile_id = tenant.new_profile(now)
    action_id = tenant.run(
        lambda c, org: provider.open_enforcement_action(
            c, org, profile_id, type="restriction", reason="high_harm", expires_at=far, now=now
        )
    )
    tenant.recorded()
    return action_id, far + HOUR


def test_the_maintenance_pass_expires_actions_and_reports_them(quiet: Database, now: datetime) -> None:
    tenant = new_tenant(quiet, now)
    action_id, later = expire_later(tenant, now)

    quiet.run(lambda c: attempts.maintain(c, later, retention_days=30, chores=DISPATCHER_CHORES), write=True)

    stored = tenant.action(action_id)
    assert (stored.resolved_at, stored.resolution) == (later - HOUR, "expired")
    [event] = tenant.recorded()
    assert (event.type, event.action_id, event.created_at) == (outbox.ENFORCEMENT_ACTION_RESOLVED, action_id, later)
    assert event.deliveries == tenant.subscribers(event.type)


def test_a_maintenance_pass_runs_alone(quiet: Database, now: datetime) -> None:
    tenant = new_tenant(quiet, now)
    action_id, later = expire_later(tenant, now)

    with quiet.unit_of_work(write=quiet.is_sqlite) as holder:
        assert queue.try_maintenance_lock(holder)
        if not quiet.is_sqlite:  # SQLite's one writer is the only pass there is
            quiet.run(lambda c: attempts.maintain(c, later, retention_days=30, chores=DISPATCHER_CHORES), write=True)
            assert tenant.action(action_id).resolved_at is None
            assert tenant.recorded() == []

    quiet.run(lambda c: attempts.maintain(c, later, retention_days=30, chores=DISPATCHER_CHORES), write=True)
    assert tenant.action(action_id).resolution == "expired"
    assert len(tenant.recorded()) == 1
