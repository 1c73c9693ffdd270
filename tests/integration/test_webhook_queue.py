"""The dispatcher's database work against real SQLite and PostgreSQL: leases, recording, release,
the wake-up after commit, and the maintenance pass (docs/reference/webhooks.md §6).

The module uses a database of its own: the servers other tests start dispatch from the shared one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Connection, select, update

from tests.integration.webhook_support import BOX, START, new_endpoint
from tests.secret_keys import OTHER_SECRET_KEY, TEST_SECRET_KEY
from uprof.crypto.sealing import SecretBox, is_plaintext
from uprof.db.unit_of_work import Database
from uprof.webhooks import attempts, outbox, service
from uprof.webhooks.attempts import Policy
from uprof.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event
from uprof.webhooks.sender import Outcome
from uprof.webhooks.wakeup import WakeOnCommit, note_new_work

POLICY = Policy(max_attempts=3, retry_base_seconds=30.0)


def queue_event(database: Database, organization_id: str, at: datetime = START) -> str:
    def work(connection: Connection) -> str:
        return outbox.record(connection, organization_id, outbox.PROGRAM_STATUS_UPDATED, "uprof_x", at)

    return database.run(work, write=True)


def outcome(status: int | None, error: str | None = None) -> Outcome:
    return Outcome(START, 12, status, error, None if status is None else "body")


def delivery_of(database: Database, event_id: str) -> dict[str, Any]:
    query = select(webhook_delivery).where(webhook_delivery.c.event_id == event_id)
    return dict(database.run(lambda c: c.execute(query).one()._mapping, write=False))


def claim(database: Database, now: datetime, limit: int = 10, box: SecretBox = BOX) -> list[attempts.Claim]:
    return database.run(lambda c: attempts.claim(c, now, limit, box), write=True)


def record(database: Database, item: attempts.Claim, result: Outcome, now: datetime) -> datetime | None:
    return database.run(lambda c: attempts.record(c, item, result, now, POLICY), write=True)


def test_a_claim_holds_its_lease_for_60_seconds(clean: Database) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    event_id = queue_event(clean, organization_id)
    [first] = claim(clean, START)
    assert (first.endpoint_id, first.event_id, first.lease) == (endpoint_id, event_id, START + timedelta(seconds=60))
    assert first.url == "https://receiver.example.com/hook" and len(first.signing_secrets) == 1
    assert claim(clean, START + timedelta(seconds=59)) == []
    [again] = claim(clean, START + timedelta(seconds=61))  # the first holder is presumed dead
    assert again.delivery_id == first.delivery_id and again.lease != first.lease
    assert record(clean, first, outcome(200), START + timedelta(seconds=62)) is None  # lease lost
    assert delivery_of(clean, event_id)["attempt_count"] == 0
    record(clean, again, outcome(200), START + timedelta(seconds=62))
    stored = delivery_of(clean, event_id)
    assert (stored["status"], stored["attempt_count"], stored["lease_expires_at"]) == ("succeeded", 1, None)


def test_failures_are_rescheduled_then_given_up(clean: Database) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    event_id = queue_event(clean, organization_id)
    now = START
    for number in (1, 2, 3):
        [item] = claim(clean, now)
        retry_at = record(clean, item, outcome(None, "connection_error"), now)
        stored = delivery_of(clean, event_id)
        assert stored["attempt_count"] == number
        if number < 3:
            nominal = 30 * 2 ** (number - 1)
            assert retry_at is not None and stored["next_attempt_at"] == retry_at
            assert timedelta(seconds=nominal * 0.9) <= retry_at - now <= timedelta(seconds=nominal * 1.1)
            assert claim(clean, retry_at - timedelta(microseconds=1)) == []
            now = retry_at
    assert retry_at is None
    assert (stored["status"], stored["next_attempt_at"], stored["finished_at"]) == ("failed", None, now)
    counter = select(webhook_endpoint.c.consecutive_failures).where(webhook_endpoint.c.id == endpoint_id)
    assert clean.run(lambda c: c.scalar(counter), write=False) == 1
    numbers = select(webhook_attempt.c.number).where(webhook_attempt.c.delivery_id == stored["id"])
    assert clean.run(lambda c: list(c.scalars(numbers.order_by(webhook_attempt.c.number))), write=False) == [1, 2, 3]


def test_released_leases_are_claimable_at_once(clean: Database) -> None:
    organization_id, _ = new_endpoint(clean)
    queue_event(clean, organization_id)
    queue_event(clean, organization_id)
    claimed = claim(clean, START)
    assert len(claimed) == 2
    clean.run(lambda c: attempts.release(c, claimed), write=True)
    assert {item.delivery_id for item in claim(clean, START)} == {item.delivery_id for item in claimed}


def test_a_claim_takes_at_most_its_limit(clean: Database) -> None:
    organization_id, _ = new_endpoint(clean)
    for _ in range(3):
        queue_event(clean, organization_id)
    assert len(claim(clean, START, limit=2)) == 2
    assert len(claim(clean, START, limit=2)) == 1


def test_the_previous_secret_signs_until_the_overlap_ends(clean: Database) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    new = clean.run(lambda c: service.regenerate_secret(c, organization_id, endpoint_id, START, BOX), write=True)
    queue_event(clean, organization_id)
    [item] = claim(clean, START + timedelta(hours=23, minutes=59))
    assert len(item.signing_secrets) == 2 and item.signing_secrets[0] == new
    clean.run(lambda c: attempts.release(c, [item]), write=True)
    [late] = claim(clean, START + timedelta(hours=24, seconds=1))
    assert late.signing_secrets == (new,)


def stored(database: Database, endpoint_id: str) -> tuple[str, str | None]:
    columns = select(webhook_endpoint.c.signing_secret, webhook_endpoint.c.previous_signing_secret)
    row = database.run(lambda c: c.execute(columns.where(webhook_endpoint.c.id == endpoint_id)).one(), write=False)
    return row[0], row[1]


def store(database: Database, endpoint_id: str, current: str, previous: str | None) -> None:
    values = {"signing_secret": current, "previous_signing_secret": previous}
    statement = update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(values)
    database.run(lambda c: c.execute(statement), write=True)


def test_a_claim_whose_secret_no_key_decrypts_cannot_sign(clean: Database) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    queue_event(clean, organization_id)
    [item] = claim(clean, START, box=SecretBox([OTHER_SECRET_KEY]))
    assert item.signing_secrets == () and not item.can_sign
    clean.run(lambda c: attempts.release(c, [item]), write=True)
    # A previous secret that cannot be decrypted is left out; the current one still signs.
    new = clean.run(lambda c: service.regenerate_secret(c, organization_id, endpoint_id, START, BOX), write=True)
    current, _ = stored(clean, endpoint_id)
    store(clean, endpoint_id, current, SecretBox([OTHER_SECRET_KEY]).seal("whsec_lost"))
    [item] = claim(clean, START)
    assert item.signing_secrets == (new,) and item.can_sign


def test_regenerating_an_unreadable_secret_keeps_no_previous_one(clean: Database) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    store(clean, endpoint_id, SecretBox([OTHER_SECRET_KEY]).seal("whsec_lost"), None)
    new = clean.run(lambda c: service.regenerate_secret(c, organization_id, endpoint_id, START, BOX), write=True)
    current, previous = stored(clean, endpoint_id)
    assert (BOX.open(current), previous) == (new, None)
    row = clean.run(lambda c: service.retrieve(c, organization_id, endpoint_id), write=False)
    assert row.previous_secret_expires_at is None


def test_resealing_encrypts_plaintext_and_moves_older_keys_to_the_first(clean: Database) -> None:
    old_box, rotated = SecretBox([OTHER_SECRET_KEY]), SecretBox([TEST_SECRET_KEY, OTHER_SECRET_KEY])
    _, plaintext = new_endpoint(clean)
    _, old_key = new_endpoint(clean)
    _, lost = new_endpoint(clean)
    _, current = new_endpoint(clean)
    store(clean, plaintext, "whsec_current", "whsec_previous")
    store(clean, old_key, old_box.seal("whsec_old_key"), None)
    store(clean, lost, SecretBox([Fernet.generate_key().decode()]).seal("whsec_lost"), None)
    untouched = stored(clean, current)

    resealed = clean.run(lambda c: service.reseal_secrets(c, rotated), write=True)
    assert resealed.count >= 3 and lost in resealed.unreadable
    for endpoint_id, expected in ((plaintext, ("whsec_current", "whsec_previous")), (old_key, ("whsec_old_key",))):
        values = [value for value in stored(clean, endpoint_id) if value is not None]
        assert not any(is_plaintext(value) for value in values)
        assert tuple(BOX.open(value) for value in values) == expected  # the first key alone opens them
    assert stored(clean, current) == untouched  # already under the first key: not rewritten
    again = clean.run(lambda c: service.reseal_secrets(c, rotated), write=True)
    assert again.count == 0 and lost in again.unreadable
    store(clean, lost, BOX.seal("whsec_regenerated"), None)  # the cleanup other tests rely on


def test_the_dispatcher_is_woken_after_the_commit(clean: Database) -> None:
    organization_id, _ = new_endpoint(clean)
    woken: list[str] = []
    wake = WakeOnCommit(clean, lambda: woken.append("woken"))
    wake.install()
    try:
        with clean.unit_of_work(write=True) as connection:
            outbox.record(connection, organization_id, outbox.PROGRAM_STATUS_UPDATED, "uprof_x", START)
            assert woken == []  # not before the commit: the dispatcher would find nothing yet
        assert woken == ["woken"]
        clean.run(lambda c: c.execute(select(1)), write=True)  # nothing queued: no wake-up
        assert woken == ["woken"]
        with pytest.raises(RuntimeError), clean.unit_of_work(write=True) as connection:
            note_new_work(connection)
            raise RuntimeError("rolled back")
        assert woken == ["woken", "woken"]  # a spurious wake-up costs one empty poll
    finally:
        wake.remove()
    queue_event(clean, organization_id)
    assert woken == ["woken", "woken"]


def test_maintenance_drops_what_is_past_retention(clean: Database) -> None:
    organization_id, _ = new_endpoint(clean)
    long_ago = START - timedelta(days=40)
    old_event = queue_event(clean, organization_id, long_ago)
    recent_event = queue_event(clean, organization_id, long_ago)
    for item in claim(clean, long_ago):
        record(clean, item, outcome(200), long_ago)
    old_delivery, recent_delivery = delivery_of(clean, old_event)["id"], delivery_of(clean, recent_event)["id"]
    recent = update(webhook_delivery).where(webhook_delivery.c.id == recent_delivery)
    clean.run(lambda c: c.execute(recent.values(finished_at=START - timedelta(days=29))), write=True)

    clean.run(lambda c: attempts.maintain(c, START, retention_days=30, chores=()), write=True)

    remaining = select(webhook_delivery.c.id).where(webhook_delivery.c.organization_id == organization_id)
    assert clean.run(lambda c: list(c.scalars(remaining)), write=False) == [recent_delivery]
    events = select(webhook_event.c.id).where(webhook_event.c.organization_id == organization_id)
    assert clean.run(lambda c: set(c.scalars(events)), write=False) == {recent_event}  # still referenced
    logged = select(webhook_attempt.c.delivery_id).where(
        webhook_attempt.c.delivery_id.in_([old_delivery, recent_delivery])
    )
    assert clean.run(lambda c: list(c.scalars(logged)), write=False) == [recent_delivery]
