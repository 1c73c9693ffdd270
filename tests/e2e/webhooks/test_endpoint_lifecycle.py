"""What an endpoint's state does to its deliveries: five given-up deliveries in a row disable it,
disabling cancels what is pending, deleting removes its delivery log; and the plain-http URLs
`--webhook-allow-http` admits."""

from __future__ import annotations

import json
import threading
import time

import anthropic
import pytest

from tests.e2e.waiting import wait_until
from tests.e2e.webhooks.support import (
    OPENED,
    RESOLVED,
    UPDATED,
    Operator,
    Receiver,
    settled,
)


def test_five_given_up_deliveries_in_a_row_disable_the_endpoint(operator: Operator, receiver: Receiver) -> None:
    created = operator.endpoint(receiver.url("/failing"), [OPENED])
    route = receiver.route("/failing", created.signing_secret)
    profile = operator.profile()

    def fail_deliveries(count: int, total: int) -> None:
        route.answers = [500] * (3 * count)
        for _ in range(count):
            operator.ban(profile)
        wait_until(
            lambda: len(operator.deliveries(endpoint_id=created.id, status="failed")) == total,
            what=f"{total} failed deliveries",
        )

    fail_deliveries(4, 4)
    operator.ban(profile)  # this one succeeds: the count starts again
    wait_until(lambda: operator.deliveries(endpoint_id=created.id, status="succeeded"), what="a success")
    fail_deliveries(4, 8)
    assert operator.sdk.beta.organization.webhooks.retrieve(created.id).state == "enabled"
    fail_deliveries(1, 9)
    endpoint = operator.sdk.beta.organization.webhooks.retrieve(created.id)
    assert (endpoint.state, endpoint.disabled_reason) == ("disabled", "consecutive_delivery_failures")
    assert endpoint.updated_at > created.updated_at

    operator.ban(profile)  # while disabled: never delivered, not even after re-enabling
    retried = operator.http.post(
        f"/v1/admin/webhook_deliveries/{operator.deliveries(endpoint_id=created.id)[0]['id']}/retry"
    )
    assert retried.status_code == 409
    assert retried.json()["error"]["message"] == "webhook delivery cannot be retried while its endpoint is disabled"
    enabled = operator.sdk.beta.organization.webhooks.update(created.id, state="enabled")
    assert (enabled.state, enabled.disabled_reason) == ("enabled", "")
    assert len(operator.deliveries(endpoint_id=created.id)) == 10


def test_disabling_cancels_pending_deliveries(operator: Operator, receiver: Receiver) -> None:
    created = operator.endpoint(receiver.url("/held"), [OPENED, RESOLVED])
    route = receiver.route("/held", created.signing_secret)
    route.hold = threading.Event()
    profile = operator.profile()
    action = operator.ban(profile)
    receiver.wait("/held", 1)  # the first attempt is in flight, held by the receiver
    [pending] = operator.deliveries(endpoint_id=created.id)
    busy = operator.http.post(f"/v1/admin/webhook_deliveries/{pending['id']}/retry")
    assert (busy.status_code, busy.headers["x-should-retry"]) == (409, "false")
    assert busy.json()["error"]["message"] == "webhook delivery cannot be retried (status: pending)"
    disabled = operator.sdk.beta.organization.webhooks.update(created.id, state="disabled")
    route.hold.set()
    assert disabled.state == "disabled"
    [logged] = operator.deliveries(endpoint_id=created.id)
    assert (logged["status"], logged["next_attempt_at"]) == ("cancelled", None)
    wait_until(lambda: operator.delivery(logged["id"])["attempts"], what="the in-flight attempt's record")
    operator.resolve(action)  # while disabled: no delivery at all
    operator.sdk.beta.organization.webhooks.update(created.id, state="enabled")
    time.sleep(0.5)  # a retry would have come by now (0.1 s)
    assert len(receiver.at("/held")) == 1
    record = operator.delivery(logged["id"])
    assert (record["status"], record["attempt_count"]) == ("cancelled", 1)
    assert len(operator.deliveries(endpoint_id=created.id)) == 1

    operator.http.post(f"/v1/admin/webhook_deliveries/{logged['id']}/retry").raise_for_status()
    [again] = receiver.wait("/held", 2)[1:]
    assert json.loads(again.body)["data"]["type"] == OPENED
    settled(operator, created.id, 1, "succeeded")


def test_allow_http_accepts_plain_http_for_any_host(operator: Operator) -> None:
    created = operator.endpoint("http://platform.example.com/hooks")
    assert created.url == "http://platform.example.com/hooks"
    with pytest.raises(anthropic.BadRequestError) as raised:
        operator.endpoint("ftp://platform.example.com/hooks")
    assert raised.value.body["error"]["message"] == "url: must be an absolute https URL"  # type: ignore[index]
    operator.sdk.beta.organization.webhooks.delete(created.id)  # nothing may try to reach it


def test_delete_removes_the_delivery_log(operator: Operator, receiver: Receiver) -> None:
    created = operator.endpoint(receiver.url("/deleted"), [UPDATED])
    receiver.route("/deleted", created.signing_secret)
    operator.set_cyber(operator.profile())
    [logged] = settled(operator, created.id, 1, "succeeded")
    operator.sdk.beta.organization.webhooks.delete(created.id)
    assert operator.deliveries(endpoint_id=created.id) == []
    missing = operator.http.get(f"/v1/admin/webhook_deliveries/{logged['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "webhook delivery not found"
