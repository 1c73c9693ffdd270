"""Restarts: an attempt in flight when the server stops is cut short and recorded, and the start-up
maintenance pass resolves expired restrictions and drops deliveries past retention."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from tests.e2e.waiting import wait_until
from tests.e2e.webhooks.support import (
    OPENED,
    RESOLVED,
    UPDATED,
    Hub,
    Operator,
    Receiver,
    settled,
)
from uprof.db.unit_of_work import Database
from uprof.profiles.schemas import parse_timestamp
from uprof.timestamps import format_timestamp
from uprof.webhooks.models import webhook_delivery, webhook_event


def stored_delivery(database: Database, endpoint_id: str) -> dict[str, Any]:
    query = select(webhook_delivery).where(webhook_delivery.c.endpoint_id == endpoint_id)
    return dict(database.run(lambda c: c.execute(query).one()._mapping, write=False))


def test_pending_deliveries_survive_a_restart(shared: Hub, operator: Operator, receiver: Receiver) -> None:
    """The server stops while an attempt is in flight: the attempt is recorded as timed out, its
    lease given back and its retry scheduled, and the restarted server delivers. Its start-up
    maintenance pass also resolves the restriction that expired while no server ran, and drops a
    delivery past retention."""
    kept = operator.endpoint(receiver.url("/kept"), [OPENED, RESOLVED])
    receiver.route("/kept", kept.signing_secret)
    held = operator.endpoint(receiver.url("/held-at-stop"), [UPDATED])
    route = receiver.route("/held-at-stop", held.signing_secret, answers=[500])
    hold = route.hold = threading.Event()  # the retry after the 500 stays in flight until the server stops
    profile = operator.profile()
    expires_at = datetime.now(UTC) + timedelta(seconds=1.5)
    restriction = operator.restrict(profile, expires_at)
    [old] = settled(operator, kept.id, 1, "succeeded")
    operator.set_cyber(profile)
    receiver.wait("/held-at-stop", 2)
    operator.close()

    def while_stopped() -> None:
        stored = stored_delivery(shared.database, held.id)
        assert (stored["status"], stored["attempt_count"], stored["lease_expires_at"]) == ("pending", 2, None)
        assert stored["next_attempt_at"] is not None  # the retry after the second attempt, on schedule
        long_ago = datetime.now(UTC) - timedelta(days=31)
        aged_delivery = update(webhook_delivery).where(webhook_delivery.c.id == old["id"])
        aged_event = update(webhook_event).where(webhook_event.c.id == old["event_id"])

        def age(connection: Connection) -> None:
            connection.execute(aged_delivery.values(finished_at=long_ago))
            connection.execute(aged_event.values(created_at=long_ago))

        shared.database.run(age, write=True)
        time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
        hold.set()  # from now on the receiver answers at once

    shared.restart(while_stopped)
    operator = operator.at(shared.server)
    try:
        [delivered] = settled(operator, held.id, 1, "succeeded")
        record = operator.delivery(delivered["id"])
        resolved = wait_until(lambda: operator.deliveries(endpoint_id=kept.id, event_type=RESOLVED), what="expiry")
        gone = operator.http.get(f"/v1/admin/webhook_deliveries/{old['id']}")
        action = operator.http.get(f"/v1/admin/enforcement_actions/{restriction}").json()
    finally:
        operator.close()

    logged = [(a["number"], a["status_code"], a["error"]) for a in record["attempts"]]
    assert logged == [(1, 500, None), (2, None, "timeout"), (3, 200, None)]  # 2: cut short by the stop
    sent = receiver.at("/held-at-stop")  # every POST received is an attempt recorded
    assert len(sent) == len(logged) and len({item.headers["webhook-id"] for item in sent}) == 1
    assert gone.status_code == 404  # past retention
    event_left = select(webhook_event.c.id).where(webhook_event.c.id == old["event_id"])
    assert shared.database.run(lambda c: c.scalar(event_left), write=False) is None
    assert len(resolved) == 1
    bodies = [json.loads(item.body) for item in receiver.wait("/kept", 2)]
    data = [body["data"] for body in bodies]
    assert [(d["type"], d["enforcement_action_id"]) for d in data] == [(OPENED, restriction), (RESOLVED, restriction)]
    # The expiry was stored after the restart: its event was created then (docs/reference/webhooks.md §5.1), while
    # the action reads as resolved at its expires_at (docs/reference/provider.md §5.8).
    expired_event_at = parse_timestamp(bodies[1]["created_at"])
    assert expired_event_at is not None and expired_event_at > expires_at + timedelta(seconds=0.1)
    assert (action["resolution"], action["resolved_at"]) == ("expired", format_timestamp(expires_at))
