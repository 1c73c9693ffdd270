"""Fair shares in the claim query, on SQLite and PostgreSQL: an organization at its share is passed
over, and one claim takes no more of an organization than its share leaves (docs/webhooks.md)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import Connection

from tests.integration.webhook_support import BOX, START, new_endpoint
from uprof.db.unit_of_work import Database
from uprof.webhooks import attempts, outbox
from uprof.webhooks.queue_repository import Shares

LATER = START + timedelta(seconds=1)


def queue_events(database: Database, organization_id: str, count: int) -> None:
    def work(connection: Connection) -> None:
        for _ in range(count):
            outbox.record(connection, organization_id, outbox.PROGRAM_STATUS_UPDATED, "uprof_x", START)

    database.run(work, write=True)


def claimed(database: Database, limit: int, shares: Shares) -> Counter[str]:
    claims = database.run(lambda c: attempts.claim(c, LATER, limit, BOX, shares), write=True)
    return Counter(item.organization_id for item in claims)


def test_a_claim_keeps_each_organization_within_its_share(clean: Database) -> None:
    busy, _ = new_endpoint(clean)
    quiet, _ = new_endpoint(clean)
    queue_events(clean, busy, 6)  # older, so first in line
    queue_events(clean, quiet, 2)
    assert claimed(clean, 10, Shares({busy: 1}, per_organization=3)) == {busy: 2, quiet: 2}
    # Now at its share, the busy organization is passed over even with room to spare.
    assert claimed(clean, 10, Shares({busy: 3}, per_organization=3)) == {}
    assert clean.run(lambda c: attempts.any_due(c, LATER, [busy]), write=False) is False
    assert clean.run(lambda c: attempts.any_due(c, LATER), write=False) is True


def test_a_full_organization_does_not_use_up_the_limit(clean: Database) -> None:
    busy, _ = new_endpoint(clean)
    quiet, _ = new_endpoint(clean)
    queue_events(clean, busy, 10)
    queue_events(clean, quiet, 1)
    # Without the share the 10 older deliveries of `busy` would fill a claim of 5.
    assert claimed(clean, 5, Shares({busy: 2}, per_organization=2)) == {quiet: 1}
