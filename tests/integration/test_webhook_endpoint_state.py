"""Deliveries and the state of their endpoint, against real SQLite and PostgreSQL: a claim never sends
to an endpoint that is not enabled, and an endpoint disabled or deleted just after an event was
recorded waits for that transaction, then cancels or removes its delivery (docs/reference/webhooks.md §3.2, §6).
The opposite order — the endpoint's transaction first — is tested end to end (tests/e2e/webhooks/
test_endpoint_races.py).

The module uses a database of its own: the servers other tests start dispatch from the shared one.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select, text, update

from tests.integration.webhook_support import BOX, START, new_endpoint
from uprof.db.unit_of_work import Database
from uprof.webhooks import attempts, outbox, service
from uprof.webhooks.models import webhook_delivery, webhook_endpoint

WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def record_event(connection: Connection, organization_id: str) -> str:
    return outbox.record(connection, organization_id, outbox.PROGRAM_STATUS_UPDATED, "uprof_x", START)


def deliveries_of(database: Database, event_id: str) -> list[dict[str, Any]]:
    query = select(webhook_delivery).where(webhook_delivery.c.event_id == event_id)
    return [dict(row._mapping) for row in database.run(lambda c: list(c.execute(query)), write=False)]


def test_a_claim_cancels_a_due_delivery_whose_endpoint_is_disabled(clean: Database) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    event_id = clean.run(lambda c: record_event(c, organization_id), write=True)
    # Disabled without its pending delivery being cancelled, as a race in an older uprof left some.
    disabled = update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(state="disabled")
    clean.run(lambda c: c.execute(disabled), write=True)

    assert clean.run(lambda c: attempts.claim(c, START, 10, BOX), write=True) == []
    [stored] = deliveries_of(clean, event_id)
    assert (stored["status"], stored["next_attempt_at"], stored["finished_at"]) == ("cancelled", None, START)
    assert stored["attempt_count"] == 0 and not clean.run(lambda c: attempts.any_due(c, START), write=False)


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_an_endpoint_changed_while_an_event_is_recorded_waits_then_cancels_its_delivery(
    clean: Database, change: str
) -> None:
    organization_id, endpoint_id = new_endpoint(clean)
    failures: list[BaseException] = []

    def change_endpoint() -> None:
        def work(connection: Connection) -> None:
            if change == "disable":
                service.update(connection, organization_id, endpoint_id, {"state": "disabled"}, START)
            else:
                service.delete(connection, organization_id, endpoint_id)

        try:
            clean.run(work, write=True)
        except BaseException as failure:
            failures.append(failure)

    changing = threading.Thread(target=change_endpoint)
    with clean.unit_of_work(write=True) as connection:
        event_id = record_event(connection, organization_id)
        changing.start()
        if clean.is_sqlite:  # it queues for the one writer; nothing to observe
            time.sleep(0.3)
        else:
            deadline = time.monotonic() + 10
            while not clean.run(lambda c: c.scalar(WAITING_ON_A_LOCK), write=False):
                assert time.monotonic() < deadline, "the endpoint's change never waited for the event's"
                time.sleep(0.02)
        assert changing.is_alive()
    changing.join(10)

    assert failures == []
    stored = deliveries_of(clean, event_id)
    if change == "disable":
        assert [(d["endpoint_id"], d["status"]) for d in stored] == [(endpoint_id, "cancelled")]
    else:
        assert stored == []
    assert clean.run(lambda c: attempts.claim(c, START + timedelta(seconds=1), 10, BOX), write=True) == []
