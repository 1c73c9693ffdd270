"""An endpoint disabled or deleted while a change records its event: the change waits for the
endpoint's transaction, then commits without error and sees its outcome, so no delivery to that
endpoint exists or is ever sent (docs/reference/webhooks.md §3.2, §6).

The test holds the endpoint's transaction open itself, as `update(state="disabled")` and `delete`
run it, while the Admin API changes a profile from another thread. On PostgreSQL the change blocks
on the endpoint's row lock (the test waits until it does); on SQLite on the one write lock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, func, select, text

from tests.e2e.waiting import wait_until
from tests.e2e.webhooks.support import UPDATED, Hub, Operator, Receiver, settled
from uprof.db.unit_of_work import Database
from uprof.webhooks import service
from uprof.webhooks.models import webhook_delivery

# Sessions of the test database waiting for a lock another session holds.
WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def wait_until_blocked(database: Database, request: threading.Thread) -> None:
    """Return once the request's transaction waits for the one the test holds."""
    if database.is_sqlite:  # nothing to observe: give it time to reach the write lock
        time.sleep(0.5)
    else:
        wait_until(lambda: database.run(lambda c: c.scalar(WAITING_ON_A_LOCK), write=False), what="a lock wait")
    assert request.is_alive(), "the change did not wait for the endpoint's transaction"


def change_endpoint(connection: Connection, organization_id: str, endpoint_id: str, change: str) -> None:
    now = datetime.now(UTC)
    if change == "disable":
        service.update(connection, organization_id, endpoint_id, {"state": "disabled"}, now)
    else:
        service.delete(connection, organization_id, endpoint_id)


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_an_event_recorded_while_its_endpoint_is_disabled_or_deleted_is_never_delivered_to_it(
    shared: Hub, operator: Operator, receiver: Receiver, change: str
) -> None:
    racing = operator.endpoint(receiver.url("/racing"), [UPDATED])
    receiver.route("/racing", racing.signing_secret)
    control = operator.endpoint(receiver.url("/control"), [UPDATED])  # stays enabled throughout
    receiver.route("/control", control.signing_secret)
    profile = operator.profile()
    answers: list[httpx.Response | BaseException] = []

    def set_cyber() -> None:
        try:
            path = f"/v1/admin/user_profiles/{profile}/programs/cyber"
            answers.append(operator.http.post(path, json={"status": "active"}))
        except BaseException as failure:
            answers.append(failure)

    request = threading.Thread(target=set_cyber)
    with shared.database.unit_of_work(write=True) as connection:
        change_endpoint(connection, operator.organization_id, racing.id, change)
        request.start()
        wait_until_blocked(shared.database, request)
    request.join(10)

    [answer] = answers
    assert isinstance(answer, httpx.Response) and answer.status_code == 200, answer
    stored: Any = operator.http.get(f"/v1/admin/user_profiles/{profile}").json()
    assert stored["profile"]["programs"]["cyber"]["status"] == "active"  # the change committed
    settled(operator, control.id, 1, "succeeded")  # the event was delivered where it should be
    to_racing = select(func.count()).select_from(webhook_delivery).where(webhook_delivery.c.endpoint_id == racing.id)
    assert shared.database.run(lambda c: c.scalar(to_racing), write=False) == 0
    time.sleep(0.3)  # the dispatcher has had every chance: the control delivery went out long ago
    assert receiver.at("/racing") == []
