"""What arrives at the receiver: one envelope per event type, signed, with the delivery log's record
of it; and the rotation of the signing secret, signed with both secrets during the overlap."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from standardwebhooks.webhooks import WebhookVerificationError

from tests.e2e.webhooks.support import (
    OPENED,
    RESOLVED,
    UPDATED,
    Hub,
    Operator,
    Receiver,
    settled,
    stored_secrets,
)
from uprof.webhooks.models import webhook_endpoint

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_each_event_type_arrives_signed_in_its_envelope(operator: Operator, receiver: Receiver) -> None:
    everything = operator.endpoint(receiver.url("/all"))
    receiver.route("/all", everything.signing_secret)
    only_updates = operator.endpoint(receiver.url("/updates"), [UPDATED, "external_key.failed"])
    receiver.route("/updates", only_updates.signing_secret)
    profile = operator.profile()
    operator.set_cyber(profile)
    action = operator.ban(profile)
    operator.resolve(action)

    got = {json.loads(item.body)["data"]["type"]: item for item in receiver.wait("/all", 3)}
    assert set(got) == {UPDATED, OPENED, RESOLVED}
    expected_data = {
        UPDATED: {"type": UPDATED, "id": profile, "organization_id": operator.organization_id},
        OPENED: {
            "type": OPENED,
            "id": profile,
            "enforcement_action_id": action,
            "organization_id": operator.organization_id,
        },
        RESOLVED: {
            "type": RESOLVED,
            "id": profile,
            "enforcement_action_id": action,
            "organization_id": operator.organization_id,
        },
    }
    for event_type, item in got.items():
        envelope = json.loads(item.body)
        assert list(envelope) == ["type", "id", "created_at", "data"]
        assert list(envelope["data"]) == list(expected_data[event_type])  # key order, no workspace_id
        assert envelope["data"] == expected_data[event_type]
        assert envelope["type"] == "event" and TIMESTAMP.fullmatch(envelope["created_at"])
        assert item.body == json.dumps(envelope, separators=(",", ":")).encode()  # compact UTF-8
        assert item.headers["webhook-id"] == envelope["id"] and envelope["id"].startswith("event_")
        assert abs(int(item.headers["webhook-timestamp"]) - time.time()) < 30
        assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", item.headers["webhook-signature"])
        assert item.headers["content-type"] == "application/json"
        assert item.headers["user-agent"].startswith("uprof-webhooks/")
        assert item.verified_with == [everything.signing_secret]
        assert item.event is not None and item.event.id == envelope["id"] and item.event.data.type == event_type
    updates = receiver.wait("/updates", 1)
    time.sleep(0.3)  # nothing else is coming for the endpoint that subscribed to updates only
    assert [json.loads(item.body)["data"]["type"] for item in receiver.at("/updates")] == [UPDATED]
    assert updates[0].body == got[UPDATED].body  # one event, the same bytes for every endpoint

    logged = settled(operator, everything.id, 3, "succeeded")
    assert {entry["event_id"] for entry in logged} == {json.loads(item.body)["id"] for item in got.values()}
    single = operator.delivery(logged[0]["id"])
    assert list(single) == [
        "id",
        "type",
        "endpoint_id",
        "event_id",
        "event_type",
        "status",
        "attempt_count",
        "next_attempt_at",
        "created_at",
        "attempts",
    ]
    assert (single["type"], single["attempt_count"], single["next_attempt_at"]) == ("webhook_delivery", 1, None)
    [attempt] = single["attempts"]
    assert (attempt["number"], attempt["status_code"], attempt["error"]) == (1, 200, None)
    assert attempt["response_excerpt"] == "status 200" and TIMESTAMP.fullmatch(attempt["started_at"])


def test_rotation_signs_with_both_secrets_during_the_overlap(
    operator: Operator, receiver: Receiver, shared: Hub
) -> None:
    created = operator.endpoint(receiver.url("/rotating"))
    old = created.signing_secret
    assert stored_secrets(shared.database, created.id) == (old, None)
    new = operator.sdk.beta.organization.webhooks.regenerate_signing_secret(created.id).signing_secret
    assert stored_secrets(shared.database, created.id) == (new, old)
    receiver.route("/rotating", new, old)
    profile = operator.profile()
    operator.set_cyber(profile)
    [first] = receiver.wait("/rotating", 1)
    assert first.verified_with == [new, old]  # a receiver holding either secret accepts it
    signatures = first.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    for position, secret in enumerate((new, old)):  # the new secret's signature comes first
        alone = {**first.headers, "webhook-signature": signatures[position]}
        operator.sdk.beta.webhooks.unwrap(first.body.decode(), headers=alone, key=secret)
        with pytest.raises(WebhookVerificationError):
            operator.sdk.beta.webhooks.unwrap(first.body.decode(), headers=alone, key=(old, new)[position])

    newest = operator.sdk.beta.organization.webhooks.regenerate_signing_secret(created.id).signing_secret
    assert stored_secrets(shared.database, created.id) == (newest, new)
    receiver.route("/rotating", newest)
    operator.set_cyber(profile, "pending")
    second = receiver.wait("/rotating", 2)[1]
    assert second.verified_with == [new, newest]  # regenerating again dropped the oldest at once
    assert second.headers["webhook-signature"].count("v1,") == 2

    # After the overlap window only the new secret signs.
    ended = datetime.now(UTC) - timedelta(seconds=1)
    endpoint_row = update(webhook_endpoint).where(webhook_endpoint.c.id == created.id)
    shared.database.run(lambda c: c.execute(endpoint_row.values(previous_secret_expires_at=ended)), write=True)
    operator.set_cyber(profile, "active")
    third = receiver.wait("/rotating", 3)[2]
    assert third.verified_with == [newest]
    assert third.headers["webhook-signature"].count("v1,") == 1
