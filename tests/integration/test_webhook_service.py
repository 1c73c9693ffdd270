"""Webhook endpoint management and the outbox, called as services inside a real unit of work on SQLite
and PostgreSQL: create (sealed secret, the limit per organization), update, disable and enable, delete,
regenerate the secret, and the event with one pending delivery per subscribed, enabled endpoint that
every recorded change leaves — none for a disabled or unsubscribed endpoint, none after a rollback.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, func, select, update

from tests.integration.service_support import USER_PROFILE_EVENTS, Tenant, add_endpoint, new_organization
from tests.integration.webhook_support import BOX
from uprof.crypto.sealing import is_plaintext
from uprof.db.unit_of_work import Database
from uprof.http.errors import InvalidRequest, NotFound
from uprof.timestamps import format_timestamp
from uprof.webhooks import outbox
from uprof.webhooks import service as endpoints
from uprof.webhooks.models import webhook_delivery, webhook_endpoint, webhook_event
from uprof.webhooks.schemas import NewEndpoint

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def endpoint(database: Database, endpoint_id: str) -> dict[str, Any]:
    query = select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id)
    return dict(database.run(lambda c: c.execute(query).one()._mapping, write=False))


def deliveries(database: Database, **where: str) -> list[dict[str, Any]]:
    query = select(webhook_delivery).filter_by(**where).order_by(webhook_delivery.c.created_at, webhook_delivery.c.id)
    return [dict(row._mapping) for row in database.run(lambda c: list(c.execute(query)), write=False)]


def record(
    database: Database, organization_id: str, now: datetime, event_type: str = outbox.PROGRAM_STATUS_UPDATED
) -> str:
    return database.run(lambda c: outbox.record(c, organization_id, event_type, "uprof_x", now), write=True)


def change(database: Database, organization_id: str, endpoint_id: str, changes: dict[str, Any], now: datetime) -> None:
    database.run(lambda c: endpoints.update(c, organization_id, endpoint_id, changes, now), write=True)


def one_endpoint(database: Database, now: datetime, events: list[str] | None = None) -> tuple[str, str]:
    organization_id = new_organization(database)
    return organization_id, database.run(lambda c: add_endpoint(c, organization_id, now, events), write=True)


# --- endpoints ---


def test_a_new_endpoint_is_enabled_and_its_secret_stored_sealed(services_database: Database, now: datetime) -> None:
    organization_id = new_organization(services_database)
    new = NewEndpoint("https://platform.example.com/hook", [outbox.ENFORCEMENT_ACTION_OPENED], "prod", "main")

    created = services_database.run(lambda c: endpoints.create(c, organization_id, new, now, BOX), write=True)

    stored = endpoint(services_database, created.row.id)
    assert created.row.id.startswith("whep_") and created.signing_secret.startswith("whsec_")
    assert len(base64.b64decode(created.signing_secret.removeprefix("whsec_"))) == 32
    assert not is_plaintext(stored["signing_secret"]) and BOX.open(stored["signing_secret"]) == created.signing_secret
    assert {key: stored[key] for key in ("url", "enabled_events", "name", "description")} == {
        "url": "https://platform.example.com/hook",
        "enabled_events": [outbox.ENFORCEMENT_ACTION_OPENED],
        "name": "prod",
        "description": "main",
    }
    assert (stored["state"], stored["disabled_reason"], stored["consecutive_failures"]) == ("enabled", "", 0)
    assert (stored["previous_signing_secret"], stored["previous_secret_expires_at"]) == (None, None)
    assert (stored["created_at"], stored["updated_at"]) == (now, now)


def test_an_organization_has_at_most_32_endpoints(services_database: Database, now: datetime) -> None:
    organization_id, first = one_endpoint(services_database, now)
    change(services_database, organization_id, first, {"state": "disabled"}, now)  # disabled ones count too

    def fill(connection: Connection) -> None:
        for _ in range(endpoints.MAX_ENDPOINTS - 1):
            add_endpoint(connection, organization_id, now)

    services_database.run(fill, write=True)
    with pytest.raises(InvalidRequest, match="^body: the organization already has 32 webhook endpoints, the maximum$"):
        services_database.run(lambda c: add_endpoint(c, organization_id, now), write=True)
    count = select(func.count()).where(webhook_endpoint.c.organization_id == organization_id)
    assert services_database.run(lambda c: c.scalar(count), write=False) == 32
    one_endpoint(services_database, now)  # another organization is not limited by this one's endpoints


def test_an_update_changes_only_what_differs(services_database: Database, now: datetime) -> None:
    organization_id, endpoint_id = one_endpoint(services_database, now)
    before = endpoint(services_database, endpoint_id)

    same = {
        "url": before["url"],
        "name": before["name"],
        "enabled_events": before["enabled_events"],
        "state": "enabled",
    }
    change(services_database, organization_id, endpoint_id, same, now + SECOND)
    assert endpoint(services_database, endpoint_id) == before

    changes = {
        "url": "https://other.example.com/h",
        "description": "d",
        "enabled_events": [outbox.PROGRAM_STATUS_UPDATED],
    }
    updated = services_database.run(
        lambda c: endpoints.update(c, organization_id, endpoint_id, changes, now + 2 * SECOND), write=True
    )
    assert {key: getattr(updated, key) for key in changes} == changes
    stored = endpoint(services_database, endpoint_id)
    assert {key: stored[key] for key in changes} == changes
    assert (stored["updated_at"], stored["name"], stored["signing_secret"]) == (
        now + 2 * SECOND,
        before["name"],
        before["signing_secret"],
    )


def test_disabling_cancels_that_endpoints_pending_deliveries(services_database: Database, now: datetime) -> None:
    organization_id, disabled = one_endpoint(services_database, now)
    kept = services_database.run(lambda c: add_endpoint(c, organization_id, now), write=True)
    finished = record(services_database, organization_id, now)
    pending = record(services_database, organization_id, now)
    succeeded = update(webhook_delivery).where(webhook_delivery.c.event_id == finished)
    services_database.run(lambda c: c.execute(succeeded.values(status="succeeded", finished_at=now)), write=True)

    change(services_database, organization_id, disabled, {"state": "disabled"}, now + SECOND)

    assert (endpoint(services_database, disabled)["state"], endpoint(services_database, disabled)["updated_at"]) == (
        "disabled",
        now + SECOND,
    )
    statuses = {
        (d["endpoint_id"], d["event_id"]): (d["status"], d["next_attempt_at"], d["finished_at"])
        for d in deliveries(services_database, organization_id=organization_id)
    }
    assert statuses == {
        (disabled, finished): ("succeeded", now, now),
        (disabled, pending): ("cancelled", None, now + SECOND),
        (kept, finished): ("succeeded", now, now),
        (kept, pending): ("pending", now, None),
    }
    # Events while it is disabled are never delivered to it, not even once it is enabled again.
    while_disabled = record(services_database, organization_id, now + 2 * SECOND)
    change(services_database, organization_id, disabled, {"state": "enabled"}, now + 3 * SECOND)
    after = record(services_database, organization_id, now + 4 * SECOND)
    assert [d["endpoint_id"] for d in deliveries(services_database, event_id=while_disabled)] == [kept]
    assert {d["endpoint_id"] for d in deliveries(services_database, event_id=after)} == {kept, disabled}
    assert deliveries(services_database, event_id=pending, endpoint_id=disabled)[0]["status"] == "cancelled"


def test_a_state_change_clears_the_automatic_disabled_reason(services_database: Database, now: datetime) -> None:
    organization_id, endpoint_id = one_endpoint(services_database, now)
    auto_disabled = {"state": "disabled", "disabled_reason": "consecutive_delivery_failures", "consecutive_failures": 5}
    statement = update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(auto_disabled)
    services_database.run(lambda c: c.execute(statement), write=True)

    change(services_database, organization_id, endpoint_id, {"name": "renamed"}, now + SECOND)
    assert endpoint(services_database, endpoint_id)["disabled_reason"] == "consecutive_delivery_failures"
    change(services_database, organization_id, endpoint_id, {"state": "disabled"}, now + 2 * SECOND)  # same state
    stored = endpoint(services_database, endpoint_id)
    assert (stored["state"], stored["disabled_reason"], stored["updated_at"]) == ("disabled", "", now + 2 * SECOND)
    assert stored["consecutive_failures"] == 5
    change(services_database, organization_id, endpoint_id, {"state": "enabled"}, now + 3 * SECOND)
    assert endpoint(services_database, endpoint_id)["consecutive_failures"] == 0  # a fresh count towards disabling


def test_deleting_an_endpoint_removes_it_and_its_deliveries(services_database: Database, now: datetime) -> None:
    organization_id, deleted = one_endpoint(services_database, now)
    kept = services_database.run(lambda c: add_endpoint(c, organization_id, now), write=True)
    event_id = record(services_database, organization_id, now)

    services_database.run(lambda c: endpoints.delete(c, organization_id, deleted), write=True)

    assert [d["endpoint_id"] for d in deliveries(services_database, event_id=event_id)] == [kept]
    event = select(webhook_event.c.id).where(webhook_event.c.id == event_id)
    assert services_database.run(lambda c: c.scalar(event), write=False) == event_id  # the other delivery needs it
    assert_not_found(services_database, organization_id, deleted, now)


def test_endpoints_of_another_organization_are_not_found(services_database: Database, now: datetime) -> None:
    owner, endpoint_id = one_endpoint(services_database, now)
    before = endpoint(services_database, endpoint_id)
    assert_not_found(services_database, new_organization(services_database), endpoint_id, now)
    assert_not_found(services_database, owner, "whep_unknown", now)
    assert endpoint(services_database, endpoint_id) == before


def assert_not_found(database: Database, organization_id: str, endpoint_id: str, now: datetime) -> None:
    for work in (
        lambda c: endpoints.retrieve(c, organization_id, endpoint_id),
        lambda c: endpoints.update(c, organization_id, endpoint_id, {"state": "disabled"}, now),
        lambda c: endpoints.regenerate_secret(c, organization_id, endpoint_id, now, BOX),
        lambda c: endpoints.delete(c, organization_id, endpoint_id),
    ):
        with pytest.raises(NotFound, match="^webhook endpoint not found$"):
            database.run(work, write=True)


def test_a_regenerated_secret_keeps_the_replaced_one_for_24_hours(services_database: Database, now: datetime) -> None:
    organization_id, endpoint_id = one_endpoint(services_database, now)
    original = BOX.open(endpoint(services_database, endpoint_id)["signing_secret"])

    def regenerate(at: datetime) -> str:
        return services_database.run(
            lambda c: endpoints.regenerate_secret(c, organization_id, endpoint_id, at, BOX), write=True
        )

    second = regenerate(now + HOUR)
    stored = endpoint(services_database, endpoint_id)
    assert second != original and BOX.open(stored["signing_secret"]) == second
    assert BOX.open(stored["previous_signing_secret"]) == original
    assert (stored["previous_secret_expires_at"], stored["updated_at"]) == (now + 25 * HOUR, now + HOUR)

    third = regenerate(now + 2 * HOUR)  # inside the window: the original is dropped at once
    stored = endpoint(services_database, endpoint_id)
    assert (BOX.open(stored["signing_secret"]), BOX.open(stored["previous_signing_secret"])) == (third, second)
    assert stored["previous_secret_expires_at"] == now + 26 * HOUR


# --- the outbox ---


@pytest.mark.parametrize("event_type", USER_PROFILE_EVENTS)
def test_an_event_is_queued_for_each_subscribed_enabled_endpoint(
    tenant: Tenant, now: datetime, event_type: str
) -> None:
    database = tenant.database
    outsider, _ = one_endpoint(database, now)
    action_id = None if event_type == outbox.PROGRAM_STATUS_UPDATED else "enac_1"

    event_id = tenant.run(
        lambda c, org: outbox.record(c, org, event_type, "uprof_1", now, enforcement_action_id=action_id)
    )

    queued = deliveries(database, event_id=event_id)
    assert {d["endpoint_id"] for d in queued} == tenant.subscribers(event_type)
    for delivery in queued:
        assert delivery["id"].startswith("whdel_")
        assert (delivery["organization_id"], delivery["event_type"], delivery["status"]) == (
            tenant.organization_id,
            event_type,
            "pending",
        )
        assert (delivery["attempt_count"], delivery["next_attempt_at"], delivery["lease_expires_at"]) == (0, now, None)
    [event] = tenant.recorded()
    data: dict[str, str] = {"type": event_type, "id": "uprof_1"}
    if action_id is not None:
        data["enforcement_action_id"] = action_id
    data["organization_id"] = tenant.organization_id
    expected = {"type": "event", "id": event_id, "created_at": format_timestamp(now), "data": data}
    body = select(webhook_event.c.body).where(webhook_event.c.id == event_id)
    assert database.run(lambda c: c.scalar(body), write=False) == orjson.dumps(expected).decode()
    assert (event.created_at, event.profile_id) == (now, "uprof_1")
    assert deliveries(database, organization_id=outsider) == []


def test_an_event_nobody_subscribes_to_is_kept_without_deliveries(services_database: Database, now: datetime) -> None:
    organization_id, _ = one_endpoint(services_database, now, [outbox.PROGRAM_STATUS_UPDATED])
    event_id = record(services_database, organization_id, now, outbox.ENFORCEMENT_ACTION_OPENED)
    assert (
        services_database.run(
            lambda c: c.scalar(select(webhook_event.c.type).where(webhook_event.c.id == event_id)), write=False
        )
        == outbox.ENFORCEMENT_ACTION_OPENED
    )
    assert deliveries(services_database, event_id=event_id) == []


def test_a_rolled_back_change_leaves_no_event(tenant: Tenant, now: datetime) -> None:
    with pytest.raises(RuntimeError), tenant.database.unit_of_work(write=True) as connection:
        outbox.record(connection, tenant.organization_id, outbox.PROGRAM_STATUS_UPDATED, "uprof_1", now)
        raise RuntimeError("the change failed after its event was recorded")
    assert tenant.recorded() == []
    assert deliveries(tenant.database, organization_id=tenant.organization_id) == []
