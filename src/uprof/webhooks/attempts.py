"""The dispatcher's use cases: claim due deliveries, record what an attempt achieved, release leases,
and the periodic maintenance (the chores other parts hand in, retention). Each runs inside the
caller's unit of work; none touches the network.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row

from uprof.crypto.sealing import SecretBox, SecretUnreadable
from uprof.webhooks import queue_repository, repository
from uprof.webhooks.queue_repository import Shares
from uprof.webhooks.schedule import retry_delay
from uprof.webhooks.sender import Outcome
from uprof.webhooks.signing import signature_headers

log = logging.getLogger("uprof.webhooks")

LEASE = timedelta(seconds=60)
AUTO_DISABLE_AFTER = 5
AUTO_DISABLED_REASON = "consecutive_delivery_failures"
PURGE_BATCH = 1000
# The error an attempt records when it was not sent because no configured key decrypts the
# endpoint's secret (uprof's addition to the error kinds of docs/reference/webhooks.md §6).
SECRET_UNREADABLE = "secret_unreadable"

# Periodic work of another part, run in the maintenance pass: (connection, now) -> anything.
Chore = Callable[[Connection, datetime], object]


@dataclass(frozen=True)
class Claim:
    """One leased delivery: everything its attempt needs, read when it was claimed."""

    delivery_id: str
    endpoint_id: str
    organization_id: str
    lease: datetime
    event_id: str
    body: str
    url: str
    signing_secrets: tuple[str, ...]  # newest first; empty when the current secret is unreadable

    @property
    def can_sign(self) -> bool:
        return bool(self.signing_secrets)

    def signature(self, timestamp: int) -> dict[str, str]:
        return signature_headers(self.event_id, self.body, timestamp, self.signing_secrets)


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    retry_base_seconds: float


def any_due(connection: Connection, now: datetime, skip: Collection[str] = ()) -> bool:
    """Whether some delivery is due and unleased, outside the organizations in `skip` (a read,
    before taking the write lock to claim)."""
    return queue_repository.any_due(connection, now, skip)


def claim(
    connection: Connection, now: datetime, limit: int, box: SecretBox, shares: Shares | None = None
) -> list[Claim]:
    """Lease up to `limit` due deliveries for 60 seconds, with their signing secrets decrypted; with
    `shares`, none beyond an organization's share of attempts in flight."""
    lease = now + LEASE
    return [claim_of(row, lease, now, box) for row in queue_repository.claim(connection, now, lease, limit, shares)]


def claim_of(row: Row[Any], lease: datetime, now: datetime, box: SecretBox) -> Claim:
    """The claim of a delivery row leased until `lease` (with its event and endpoint), its secrets opened:
    the dispatcher's and the test double's flush (controls/flush.py) both make their attempts from it."""
    secrets = _secrets_in_effect(row, now, box)
    return Claim(row.id, row.endpoint_id, row.organization_id, lease, row.event_id, row.body, row.url, secrets)


def _secrets_in_effect(row: Row[Any], now: datetime, box: SecretBox) -> tuple[str, ...]:
    """The secrets that sign, newest first: none if the current one cannot be decrypted; a previous
    one that cannot be is left out rather than failing the attempt."""
    try:
        secrets = [box.open(row.signing_secret)]
    except SecretUnreadable:
        return ()
    if row.previous_signing_secret and row.previous_secret_expires_at and row.previous_secret_expires_at > now:
        with contextlib.suppress(SecretUnreadable):
            secrets.append(box.open(row.previous_signing_secret))
    return tuple(secrets)


def record(
    connection: Connection,
    claim: Claim,
    outcome: Outcome,
    now: datetime,
    policy: Policy,
    rng: random.Random | None = None,
) -> datetime | None:
    """Store the attempt and move the delivery on; return when a retry is due, if one was scheduled.

    Nothing is stored if the lease was lost: the delivery was deleted with its endpoint (and its
    log with it), put back to pending by the operator, or claimed again after the lease ran out.
    In the last two cases the delivery's attempt numbers, budget and schedule belong to its new
    claim, which makes the attempt again and records that; this one counts as made by a worker
    that died before recording (docs/reference/webhooks.md §6, at least once). A delivery cancelled meanwhile
    keeps its lease, so its attempt is stored, and keeps its status.
    """
    queue_repository.lock_endpoint(connection, claim.endpoint_id)
    row = queue_repository.leased_delivery(connection, claim.delivery_id, claim.lease)
    if row is None:
        log.info("webhook attempt for delivery %s not recorded: its lease was lost", claim.delivery_id)
        return None
    number = row.attempt_count + 1
    queue_repository.insert_attempt(
        connection,
        delivery_id=claim.delivery_id,
        number=number,
        started_at=outcome.started_at,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        error=outcome.error,
        response_excerpt=outcome.response_excerpt,
    )
    values: dict[str, Any] = {"attempt_count": number, "lease_expires_at": None}
    retry_at = None
    if row.status == "pending":
        failed_in_budget = number - row.budget_start
        if outcome.succeeded:
            values.update(status="succeeded", next_attempt_at=None, finished_at=now)
        elif failed_in_budget >= policy.max_attempts:
            values.update(status="failed", next_attempt_at=None, finished_at=now)
        else:
            retry_at = now + retry_delay(failed_in_budget, policy.retry_base_seconds, rng)
            values["next_attempt_at"] = retry_at
    queue_repository.update_delivery(connection, claim.delivery_id, values)
    if outcome.succeeded:
        queue_repository.reset_failures(connection, claim.endpoint_id)
    elif values.get("status") == "failed":
        _count_given_up(connection, claim.endpoint_id, now)
    return retry_at


def _count_given_up(connection: Connection, endpoint_id: str, now: datetime) -> None:
    """Disable the endpoint once enough deliveries in a row were given up; cancel what is pending."""
    if queue_repository.add_failure(connection, endpoint_id) < AUTO_DISABLE_AFTER:
        return
    endpoint = queue_repository.lock_endpoint(connection, endpoint_id)
    if endpoint is None or endpoint.state != "enabled":
        return
    repository.update_endpoint(
        connection, endpoint_id, {"state": "disabled", "disabled_reason": AUTO_DISABLED_REASON, "updated_at": now}
    )
    repository.cancel_pending(connection, endpoint_id, now)


def release(connection: Connection, claims: list[Claim]) -> None:
    """Hand back leases whose attempts never began (the dispatcher is stopping)."""
    by_lease: dict[datetime, list[str]] = {}
    for item in claims:
        by_lease.setdefault(item.lease, []).append(item.delivery_id)
    for lease, ids in by_lease.items():
        queue_repository.release(connection, ids, lease)


def maintain(connection: Connection, now: datetime, retention_days: int, chores: Sequence[Chore]) -> None:
    """Run the `chores` other parts hand the dispatcher (uprof serve passes the expiry of enforcement
    actions) and delete deliveries and events past retention.

    On PostgreSQL only one process runs a pass at a time, so no chore runs twice at once.
    """
    if not queue_repository.try_maintenance_lock(connection):
        return
    for chore in chores:
        chore(connection, now)
    cutoff = now - timedelta(days=retention_days)
    queue_repository.purge_finished(connection, cutoff, PURGE_BATCH)
    queue_repository.purge_events(connection, cutoff, PURGE_BATCH)
