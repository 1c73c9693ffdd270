"""Webhook delivery end to end (webhooks.md §4–7): the real server, a local receiver, the official SDK.

The receiver is a threaded `http.server` on 127.0.0.1 (plain http is allowed for loopback) that
checks EVERY delivery with anthropic 2.14.0's `client.beta.webhooks.unwrap` and the secret its
endpoint's creation (or regeneration) returned. Events are caused through the Admin API, as an
operator would. The servers here run with the test-only `UPROF_WEBHOOK_RETRY_BASE_SECONDS=0.1`,
so the retry schedule is 0.1 s, 0.2 s, 0.4 s … instead of 30 s, 1 min, 2 min …, and with
`--webhook-max-attempts 3 --webhook-timeout 2 --webhook-allow-http`.

The module works on a database of its own: every other server of the test session runs a
dispatcher too, and must not take these deliveries.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types.beta import BetaWebhookEvent
from sqlalchemy import Connection, select, update
from standardwebhooks.webhooks import WebhookVerificationError

from tests.databases import backend_of, fresh_database, opened
from tests.e2e.conftest import Server, start_server, stop_server
from tests.secret_keys import OTHER_SECRET_KEY, SECRET_KEY_ENVIRONMENT, TEST_SECRET_KEY, session_box
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.profiles import service as profiles
from uprof.profiles.schemas import ProfileInput, parse_timestamp
from uprof.provider import service as provider
from uprof.timestamps import format_timestamp
from uprof.webhooks import service as endpoints
from uprof.webhooks.models import webhook_delivery, webhook_endpoint, webhook_event
from uprof.webhooks.schemas import NewEndpoint
from uprof.webhooks.signing import new_secret

OPENED = "user_profile.enforcement_action_opened"
RESOLVED = "user_profile.enforcement_action_resolved"
UPDATED = "user_profile.program_status_updated"
PROFILE_EVENTS = [UPDATED, OPENED, RESOLVED]
FAST_RETRIES = {"UPROF_WEBHOOK_RETRY_BASE_SECONDS": "0.1"}
SERVER_OPTIONS = ("--webhook-max-attempts", "3", "--webhook-timeout", "2", "--webhook-allow-http")
EVENTS = 40  # caused at once through two servers
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


# --- a database, servers and an organization of our own -----------------------------------


@contextmanager
def own_database(database_url: str, folder: Path) -> Iterator[tuple[str, Database]]:
    """A new, migrated database on the backend of `database_url`, open, and dropped afterwards."""
    with fresh_database(backend_of(database_url), folder) as url, opened(url) as database:
        yield url, database


@dataclass
class Hub:
    """The module's database and the server dispatching from it."""

    url: str
    database: Database
    server: Server

    def start_another(self) -> Server:
        return start_server(self.url, *SERVER_OPTIONS, env=FAST_RETRIES)

    def restart(self, meanwhile: Callable[[], None]) -> None:
        """Stop the server, run `meanwhile` while none runs, start it again."""
        stop_server(self.server)
        try:
            meanwhile()
        finally:  # later tests of the module need the server, whatever `meanwhile` found
            self.server = self.start_another()


@pytest.fixture(scope="module")
def shared(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with own_database(database_url, tmp_path_factory.mktemp("webhooks")) as (url, database):
        running = Hub(url, database, start_server(url, *SERVER_OPTIONS, env=FAST_RETRIES))
        try:
            yield running
        finally:
            stop_server(running.server)


class Operator:
    """An organization's admin: manages endpoints with the SDK and causes events through the Admin API."""

    def __init__(self, server: Server, admin_key: str, organization_id: str) -> None:
        self.organization_id = organization_id
        self.sdk = anthropic.Anthropic(api_key=admin_key, base_url=server.url, max_retries=0)
        self.http = httpx.Client(base_url=server.url, headers={"x-api-key": admin_key}, timeout=10)

    def at(self, server: Server) -> Operator:
        """The same organization, talking to another server."""
        return Operator(server, str(self.http.headers["x-api-key"]), self.organization_id)

    def close(self) -> None:
        self.sdk.close()
        self.http.close()

    def endpoint(self, url: str, events: list[str] | None = None) -> Any:
        return self.sdk.beta.organization.webhooks.create(url=url, enabled_events=events or PROFILE_EVENTS)

    def _ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return response.json()

    def profile(self) -> str:
        created = self.http.post("/v1/user_profiles", json={"name": "Ada"}, headers={"anthropic-version": "2023-06-01"})
        return str(self._ok(created)["id"])

    def set_cyber(self, profile_id: str, status: str = "active") -> None:
        self._ok(self.http.post(f"/v1/admin/user_profiles/{profile_id}/programs/cyber", json={"status": status}))

    def ban(self, profile_id: str) -> str:
        body = {"type": "ban", "reason": "fraud_or_abuse"}
        return str(
            self._ok(self.http.post(f"/v1/admin/user_profiles/{profile_id}/enforcement_actions", json=body))["id"]
        )

    def restrict(self, profile_id: str, expires_at: datetime) -> str:
        body = {"type": "restriction", "reason": "unsupported_region", "expires_at": expires_at.isoformat()}
        return str(
            self._ok(self.http.post(f"/v1/admin/user_profiles/{profile_id}/enforcement_actions", json=body))["id"]
        )

    def resolve(self, action_id: str) -> None:
        self._ok(self.http.post(f"/v1/admin/enforcement_actions/{action_id}/resolve", json={}))

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100, **filters}
        while True:
            page = self._ok(self.http.get("/v1/admin/webhook_deliveries", params=params))
            found += page["data"]
            if page["next_page"] is None:
                return found
            params["page"] = page["next_page"]

    def delivery(self, delivery_id: str) -> dict[str, Any]:
        return dict(self._ok(self.http.get(f"/v1/admin/webhook_deliveries/{delivery_id}")))


def new_operator(database: Database, server: Server) -> Operator:
    name = f"webhooks-{uuid.uuid4()}"

    def work(connection: Connection) -> Operator:
        admin = accounts.create_key(connection, name="admin", admin=True, organization_name=name)
        return Operator(server, admin.key, accounts.organization_for(connection, name))

    return database.run(work, write=True)


@pytest.fixture
def operator(shared: Hub) -> Iterator[Operator]:
    running = new_operator(shared.database, shared.server)
    yield running
    running.close()


# --- the receiver ---------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    verified_with: list[str]  # the registered secrets that unwrap accepted
    event: BetaWebhookEvent | None


@dataclass
class Route:
    secrets: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses to answer, in order; then 200
    hold: threading.Event | None = None  # once `answers` are used up, requests wait for it (at most 5 s)
    delay: float = 0.0  # seconds before answering


class Receiver:
    """Accepts POSTs on 127.0.0.1 and checks each with `client.beta.webhooks.unwrap`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.routes: dict[str, Route] = {}
        self.changed = threading.Condition()
        self.unwrapper = anthropic.Anthropic(api_key="unused", base_url="http://127.0.0.1:9")
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- the http.server hook's name
                receiver.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ReceivingServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"

    def route(self, path: str, *secrets: str, answers: list[int] | None = None) -> Route:
        route = self.routes.setdefault(path, Route())
        route.secrets.extend(secrets)
        if answers is not None:
            route.answers = list(answers)
        return route

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length", "0")))
        headers = {name.lower(): value for name, value in request.headers.items()}
        route = self.routes.get(request.path, Route())
        verified, event = [], None
        for secret in route.secrets:
            try:
                event = self.unwrapper.beta.webhooks.unwrap(body.decode(), headers=headers, key=secret)
                verified.append(secret)
            except WebhookVerificationError:
                pass
        with self.changed:
            self.received.append(Received(request.path, headers, body, time.monotonic(), verified, event))
            self.changed.notify_all()
        if route.answers:
            status = route.answers.pop(0)
        else:
            if route.hold is not None:
                route.hold.wait(5)
            status = 200
        time.sleep(route.delay)
        reply = b"upstream unavailable" if status == 503 else f"status {status}".encode()
        request.send_response(status)
        request.send_header("content-length", str(len(reply)))
        request.end_headers()
        request.wfile.write(reply)

    def at(self, path: str) -> list[Received]:
        with self.changed:
            return [item for item in self.received if item.path == path]

    def wait(self, path: str, count: int, timeout: float = 10) -> list[Received]:
        """Block until `path` has received at least `count` requests; return them."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len([item for item in self.received if item.path == path]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{path}: {len(self.at(path))} of {count} deliveries after {timeout} s"
                self.changed.wait(left)
        return self.at(path)

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.unwrapper.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()
    # Every delivery any test received verified with its endpoint's current secret.
    for item in running.received:
        assert item.verified_with, f"a delivery to {item.path} did not verify: {item.headers}"


class ReceivingServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 overflows when two servers deliver a burst at once: the
    # kernel then drops connections, which uprof rightly records as failed attempts.
    request_queue_size = 128


def wait_until(condition: Callable[[], Any], timeout: float = 10, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def settled(operator: Operator, endpoint_id: str, count: int, status: str) -> list[dict[str, Any]]:
    """Wait until the endpoint has `count` deliveries, all in `status`; return them."""

    def check() -> list[dict[str, Any]] | None:
        found = operator.deliveries(endpoint_id=endpoint_id)
        return found if len(found) == count and all(d["status"] == status for d in found) else None

    return list(wait_until(check, what=f"{count} {status} deliveries"))


# --- envelope and signing --------------------------------------------------------------------


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


def stored_secrets(database: Database, endpoint_id: str) -> tuple[str, str | None]:
    """The endpoint's current and previous secret as the database holds them, checked to be
    encrypted (never the `whsec_…` itself) and decrypted with the session's key."""
    columns = select(webhook_endpoint.c.signing_secret, webhook_endpoint.c.previous_signing_secret)
    query = columns.where(webhook_endpoint.c.id == endpoint_id)
    current, previous = database.run(lambda c: c.execute(query).one(), write=False)
    box = session_box()
    for value in (current, previous):
        assert value is None or (value.startswith("gAAAAA") and "whsec_" not in value), value
    return box.open(current), None if previous is None else box.open(previous)


# --- retries and the delivery log --------------------------------------------------------------


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


OTHERS = ["external_key.failed", "external_key.recovered", "external_storage.failed", "external_storage.recovered"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=lost", "status: must be one of pending, succeeded, failed, cancelled"),
        ("event_type=user_profile.deleted", "event_type: must be one of " + ", ".join([*PROFILE_EVENTS, *OTHERS])),
        ("limit=0", "limit: must be an integer from 1 to 100"),
        ("page=page_forged", "page: not a valid cursor"),
        ("event_id=a&event_id=b", "event_id: must be given once"),
    ],
)
def test_delivery_log_query_errors(operator: Operator, query: str, message: str) -> None:
    response = operator.http.get(f"/v1/admin/webhook_deliveries?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": message}


def test_delivery_log_lookups(operator: Operator, shared: Hub) -> None:
    http = operator.http
    refused = http.get("/v1/admin/webhook_deliveries?endpoint_id=%00&event_id=%00")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "endpoint_id: contains a character that is not allowed"
    for method, path in (("GET", "whdel_000000000000000000000000"), ("POST", "%00/retry")):
        response = http.request(method, f"/v1/admin/webhook_deliveries/{path}")
        assert response.status_code == 404
        assert response.json()["error"] == {"type": "not_found_error", "message": "webhook delivery not found"}
    response = http.post("/v1/admin/webhook_deliveries/whdel_000000000000000000000000/retry", json={"now": True})
    assert response.status_code == 400 and response.json()["error"]["message"] == "now: unknown field"
    name = f"webhooks-{uuid.uuid4()}"
    key = shared.database.run(lambda c: accounts.create_key(c, organization_name=name).key, write=True)
    refused = httpx.get(f"{shared.server.url}/v1/admin/webhook_deliveries", headers={"x-api-key": key})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "this endpoint requires an admin API key"


def test_delivery_log_pages_newest_first(operator: Operator, receiver: Receiver) -> None:
    created = operator.endpoint(receiver.url("/paged"), [UPDATED])
    receiver.route("/paged", created.signing_secret)
    profiles = [operator.profile() for _ in range(5)]
    for profile in profiles:
        operator.set_cyber(profile)
    settled(operator, created.id, 5, "succeeded")
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2, "endpoint_id": created.id}
    pages = 0
    while True:
        page = operator.http.get("/v1/admin/webhook_deliveries", params=params).json()
        seen += page["data"]
        pages += 1
        assert "attempts" not in page["data"][0]
        if page["next_page"] is None:
            break
        params["page"] = page["next_page"]
    assert pages == 3 and len({d["id"] for d in seen}) == 5
    assert [d["created_at"] for d in seen] == sorted((d["created_at"] for d in seen), reverse=True)
    bodies = [json.loads(item.body)["data"]["id"] for item in receiver.at("/paged")]
    assert sorted(bodies) == sorted(profiles)


# --- restarts, retention, expiry and several servers -------------------------------------------


def stored_delivery(database: Database, endpoint_id: str) -> dict[str, Any]:
    query = select(webhook_delivery).where(webhook_delivery.c.endpoint_id == endpoint_id)
    return dict(database.run(lambda c: c.execute(query).one()._mapping, write=False))


def test_pending_deliveries_survive_a_restart(shared: Hub, operator: Operator, receiver: Receiver) -> None:
    """The server stops while an attempt is in flight: its lease is released, and the restarted
    server delivers. Its start-up maintenance pass also resolves the restriction that expired while
    no server ran, and drops a delivery past retention."""
    kept = operator.endpoint(receiver.url("/kept"), [OPENED, RESOLVED])
    receiver.route("/kept", kept.signing_secret)
    held = operator.endpoint(receiver.url("/held-at-stop"), [UPDATED])
    route = receiver.route("/held-at-stop", held.signing_secret, answers=[500])
    route.hold = threading.Event()  # the retry after the 500 stays in flight until the server stops
    profile = operator.profile()
    expires_at = datetime.now(UTC) + timedelta(seconds=1.5)
    restriction = operator.restrict(profile, expires_at)
    [old] = settled(operator, kept.id, 1, "succeeded")
    operator.set_cyber(profile)
    receiver.wait("/held-at-stop", 2)
    operator.close()

    def while_stopped() -> None:
        stored = stored_delivery(shared.database, held.id)
        assert (stored["status"], stored["attempt_count"], stored["lease_expires_at"]) == ("pending", 1, None)
        long_ago = datetime.now(UTC) - timedelta(days=31)
        aged_delivery = update(webhook_delivery).where(webhook_delivery.c.id == old["id"])
        aged_event = update(webhook_event).where(webhook_event.c.id == old["event_id"])

        def age(connection: Connection) -> None:
            connection.execute(aged_delivery.values(finished_at=long_ago))
            connection.execute(aged_event.values(created_at=long_ago))

        shared.database.run(age, write=True)
        time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
        route.hold.set()  # from now on the receiver answers at once

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

    assert [(a["number"], a["status_code"]) for a in record["attempts"]] == [(1, 500), (2, 200)]
    sent = receiver.at("/held-at-stop")  # the attempt cut short by the stop was made again
    assert len(sent) == 3 and len({item.headers["webhook-id"] for item in sent}) == 1
    assert gone.status_code == 404  # past retention
    event_left = select(webhook_event.c.id).where(webhook_event.c.id == old["event_id"])
    assert shared.database.run(lambda c: c.scalar(event_left), write=False) is None
    assert len(resolved) == 1
    bodies = [json.loads(item.body) for item in receiver.wait("/kept", 2)]
    data = [body["data"] for body in bodies]
    assert [(d["type"], d["enforcement_action_id"]) for d in data] == [(OPENED, restriction), (RESOLVED, restriction)]
    # The expiry was stored after the restart: its event was created then (webhooks.md §5.1), while
    # the action reads as resolved at its expires_at (provider.md §5.8).
    assert parse_timestamp(bodies[1]["created_at"]) > expires_at + timedelta(seconds=0.1)
    assert (action["resolution"], action["resolved_at"]) == ("expired", format_timestamp(expires_at))


def test_two_servers_never_send_one_attempt_twice(shared: Hub, operator: Operator, receiver: Receiver) -> None:
    """A second server process on the same database: each attempt is made by exactly one of them."""
    other = shared.start_another()
    operators = [operator, operator.at(other)]
    try:
        created = operator.endpoint(receiver.url("/pair"), [OPENED])
        route = receiver.route("/pair", created.signing_secret)
        route.delay = 0.01
        profiles = [operator.profile() for _ in range(4)]
        with ThreadPoolExecutor(8) as pool:
            actions = list(pool.map(lambda i: operators[i % 2].ban(profiles[i % 4]), range(EVENTS)))
        found = settled(operator, created.id, EVENTS, "succeeded")
    finally:
        operators[1].close()
        stop_server(other)

    received = receiver.at("/pair")
    event_ids = {entry["event_id"] for entry in found}
    assert len(event_ids) == EVENTS
    assert {item.headers["webhook-id"] for item in received} == event_ids  # every event arrived
    assert {json.loads(item.body)["data"]["enforcement_action_id"] for item in received} == set(actions)
    # Every request the receiver saw is an attempt the log recorded: a delivery claimed twice would
    # have been sent twice with only one attempt recorded.
    sends = Counter(item.headers["webhook-id"] for item in received)
    assert {entry["event_id"]: entry["attempt_count"] for entry in found} == dict(sends)


def test_the_dispatch_command_delivers_without_a_server(database_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """`uprof webhooks dispatch` alone: events stored by another process are delivered, SIGTERM stops it."""
    with own_database(database_url, tmp_path) as (url, database):
        now = datetime.now(UTC)
        name = f"webhooks-{uuid.uuid4()}"

        def cause_event(connection: Connection) -> tuple[str, str, str]:
            organization_id = accounts.organization_for(connection, name)
            new = NewEndpoint(receiver.url("/standalone"), [UPDATED], "", "")
            endpoint = endpoints.create(connection, organization_id, new, now, session_box())
            # As stored before secrets were encrypted: the command encrypts it before dispatching.
            store_plaintext(connection, endpoint.row.id, endpoint.signing_secret)
            profile = profiles.create(connection, organization_id, ProfileInput(), now)
            provider.set_cyber(connection, organization_id, profile["id"], status="active", now=now)
            return endpoint.row.id, endpoint.signing_secret, profile["id"], organization_id

        endpoint_id, secret, profile_id, organization_id = database.run(cause_event, write=True)
        receiver.route("/standalone", secret)
        log = tmp_path / "dispatch.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "uprof", "webhooks", "dispatch", "--database-url", url],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, **SECRET_KEY_ENVIRONMENT, **FAST_RETRIES},
            )
        try:
            [item] = receiver.wait("/standalone", 1, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0, log.read_text()
        assert stored_secrets(database, endpoint_id) == (secret, None)
    assert item.verified_with == [secret]
    assert json.loads(item.body)["data"] == {"type": UPDATED, "id": profile_id, "organization_id": organization_id}
    assert "encrypted 1 stored webhook signing secrets" in log.read_text()
    assert "dispatching webhooks" in log.read_text()


def store_plaintext(connection: Connection, endpoint_id: str, current: str, previous: str | None = None) -> None:
    """Put the endpoint's secrets back in plaintext, as uprof stored them before encrypting them."""
    values: dict[str, Any] = {"signing_secret": current}
    if previous is not None:
        values["previous_signing_secret"] = previous
        values["previous_secret_expires_at"] = datetime.now(UTC) + timedelta(hours=1)
    connection.execute(update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(values))


# --- signing secrets at rest (the rotation test and the dispatch command's test check them too) ---


@contextmanager
def own_server(url: str, key: str) -> Iterator[Server]:
    server = start_server(url, *SERVER_OPTIONS, env={**FAST_RETRIES, "UPROF_SECRET_KEY": key})
    try:
        yield server
    finally:
        stop_server(server)


def test_plaintext_secrets_stored_before_encryption_are_encrypted_when_a_server_starts(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    with own_database(database_url, tmp_path) as (url, database):
        with own_server(url, TEST_SECRET_KEY) as server:
            operator = new_operator(database, server)
            created = operator.endpoint(receiver.url("/legacy"), [UPDATED])
            operator.close()
        current, previous = new_secret(), new_secret()
        database.run(lambda c: store_plaintext(c, created.id, current, previous), write=True)

        with own_server(url, TEST_SECRET_KEY) as server:
            assert "uprof: encrypted 2 stored webhook signing secrets with the secret key" in server.output()
            assert stored_secrets(database, created.id) == (current, previous)
            receiver.route("/legacy", current, previous)
            operator = operator.at(server)
            operator.set_cyber(operator.profile())
            [item] = receiver.wait("/legacy", 1)
            operator.close()
        assert item.verified_with == [current, previous]
        with own_server(url, TEST_SECRET_KEY) as server:  # nothing is left to encrypt
            assert "encrypted" not in server.output()


def test_a_secret_no_configured_key_decrypts_fails_its_attempts_not_the_server(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    """The server runs with the wrong key: deliveries to the endpoint whose secret it cannot decrypt
    fail without being sent, and everything else goes on."""
    with own_database(database_url, tmp_path) as (url, database):
        with own_server(url, OTHER_SECRET_KEY) as server:
            operator = new_operator(database, server)
            lost = operator.endpoint(receiver.url("/lost"), [UPDATED])
            operator.close()
        with own_server(url, TEST_SECRET_KEY) as server:
            assert (
                f"uprof: warning: no configured secret key decrypts the signing secrets of webhook endpoints "
                f"{lost.id}; their deliveries fail" in server.output()
            )
            operator = operator.at(server)
            working = operator.endpoint(receiver.url("/working"), [UPDATED])
            receiver.route("/working", working.signing_secret)
            operator.set_cyber(operator.profile())
            [failed] = settled(operator, lost.id, 1, "failed")
            settled(operator, working.id, 1, "succeeded")
            attempts = operator.delivery(failed["id"])["attempts"]
            assert [(a["error"], a["status_code"], a["response_excerpt"]) for a in attempts] == [
                ("secret_unreadable", None, None)
            ] * 3
            assert receiver.at("/lost") == []  # never sent, signed or not
            assert f"not sent: no configured secret key decrypts the signing secret of endpoint {lost.id}" in (
                server.output()
            )
            # Regenerating recovers the endpoint: the secret nobody can read is not kept as the previous one.
            renewed = operator.sdk.beta.organization.webhooks.regenerate_signing_secret(lost.id).signing_secret
            assert stored_secrets(database, lost.id) == (renewed, None)
            receiver.route("/lost", renewed)
            retried = operator.http.post(f"/v1/admin/webhook_deliveries/{failed['id']}/retry")
            assert retried.status_code == 200, retried.text
            [item] = receiver.wait("/lost", 1)
            operator.close()
        assert item.verified_with == [renewed]
