"""Retries and their backoff: failed attempts are retried and every attempt is logged, a delivery that
keeps failing is given up and can be retried by the operator, unreachable and slow receivers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.e2e.waiting import wait_until
from tests.e2e.webhooks.support import (
    OPENED,
    UPDATED,
    Operator,
    Receiver,
    settled,
)


def test_failed_attempts_are_retried_and_every_attempt_is_logged(operator: Operator, receiver: Receiver) -> None:
    created = operator.endpoint(receiver.url("/flaky"), [OPENED])
    receiver.route("/flaky", created.signing_secret, answers=[503, 302])
    operator.ban(operator.profile())
    first, second, third = receiver.wait("/flaky", 3)
    assert first.body == second.body == third.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == third.headers["webhook-id"]
    assert second.at - first.at >= 0.085 and third.at - second.at >= 0.175  # 0.1 s, then 0.2 s (±10 %)

    [logged] = settled(operator, created.id, 1, "succeeded")
    record = operator.delivery(logged["id"])
    assert (record["attempt_count"], record["next_attempt_at"], record["event_type"]) == (3, None, OPENED)
    assert [a["number"] for a in record["attempts"]] == [1, 2, 3]
    assert [a["status_code"] for a in record["attempts"]] == [503, 302, 200]  # a redirect is not followed
    assert [a["error"] for a in record["attempts"]] == [None, None, None]
    assert record["attempts"][0]["response_excerpt"] == "upstream unavailable"
    assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in record["attempts"])
    started = [a["started_at"] for a in record["attempts"]]
    assert started == sorted(started)


def test_a_delivery_that_keeps_failing_is_given_up_and_retried_by_the_operator(
    operator: Operator, receiver: Receiver
) -> None:
    created = operator.endpoint(receiver.url("/down"), [UPDATED])
    receiver.route("/down", created.signing_secret, answers=[500, 500, 500])
    operator.set_cyber(operator.profile())
    [logged] = settled(operator, created.id, 1, "failed")
    assert len(receiver.wait("/down", 3)) == 3
    record = operator.delivery(logged["id"])
    assert (record["attempt_count"], record["next_attempt_at"]) == (3, None)
    assert [a["status_code"] for a in record["attempts"]] == [500, 500, 500]
    assert operator.deliveries(status="failed", endpoint_id=created.id)[0]["id"] == logged["id"]
    assert operator.deliveries(status=["pending", "succeeded"], endpoint_id=created.id) == []
    assert [d["id"] for d in operator.deliveries(event_id=logged["event_id"])] == [logged["id"]]
    assert [d["id"] for d in operator.deliveries(event_type=UPDATED, endpoint_id=created.id)] == [logged["id"]]
    assert operator.deliveries(event_type=OPENED, endpoint_id=created.id) == []

    retried = operator.http.post(f"/v1/admin/webhook_deliveries/{logged['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending" and retried.json()["attempt_count"] == 3
    settled(operator, created.id, 1, "succeeded")
    record = operator.delivery(logged["id"])
    assert [a["number"] for a in record["attempts"]] == [1, 2, 3, 4]  # numbers go on; the budget is fresh
    assert record["attempts"][3]["status_code"] == 200

    again = operator.http.post(f"/v1/admin/webhook_deliveries/{logged['id']}/retry")
    assert again.status_code == 409 and again.headers["x-should-retry"] == "false"
    assert again.json()["error"] == {
        "type": "conflict_error",
        "message": "webhook delivery cannot be retried (status: succeeded)",
    }


def test_unreachable_and_slow_receivers_are_recorded_as_errors(operator: Operator, receiver: Receiver) -> None:
    with socket_closed() as closed_url:
        refused = operator.endpoint(closed_url, [OPENED])
        operator.ban(operator.profile())
        [logged] = settled(operator, refused.id, 1, "failed")
    record = operator.delivery(logged["id"])
    assert [a["error"] for a in record["attempts"]] == ["connection_error"] * 3
    assert [a["status_code"] for a in record["attempts"]] == [None] * 3
    assert [a["response_excerpt"] for a in record["attempts"]] == [None] * 3

    slow = operator.endpoint(receiver.url("/slow"), [UPDATED])
    route = receiver.route("/slow", slow.signing_secret)
    route.hold = threading.Event()  # each request waits up to 5 s: past the server's 2-s timeout
    operator.set_cyber(operator.profile())

    def first_attempt() -> dict[str, Any] | None:
        [entry] = operator.deliveries(endpoint_id=slow.id)
        attempts = operator.delivery(entry["id"])["attempts"]
        return attempts[0] if attempts else None

    try:
        attempt = wait_until(first_attempt, what="the timed-out attempt")
    finally:
        route.hold.set()
    assert (attempt["error"], attempt["status_code"], attempt["response_excerpt"]) == ("timeout", None, None)
    assert 1900 <= attempt["duration_ms"] < 5000
    settled(operator, slow.id, 1, "succeeded")  # the retry is answered at once


@contextmanager
def socket_closed() -> Iterator[str]:
    """A loopback URL on which nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}/nobody"
