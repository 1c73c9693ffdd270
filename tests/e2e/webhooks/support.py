"""Helpers shared by the webhook delivery tests: the event types and server options, a database of
the package's own (`Hub`), the operator who manages endpoints and causes events, the receiver that
unwraps every delivery, and waits on the delivery log and on the stored signing secrets."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final, Literal

import anthropic
import httpx
from anthropic.types.beta import BetaWebhookEvent
from sqlalchemy import Connection, select, update
from standardwebhooks.webhooks import WebhookVerificationError

from tests.databases import backend_of, fresh_database, opened
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.waiting import wait_until
from tests.secret_keys import session_box
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.webhooks.models import webhook_endpoint

# The SDK's parameter type for `enabled_events` names each event type.
EventType = Literal[
    "user_profile.program_status_updated",
    "user_profile.enforcement_action_opened",
    "user_profile.enforcement_action_resolved",
    "external_key.failed",
    "external_key.recovered",
    "external_storage.failed",
    "external_storage.recovered",
]
OPENED: Final = "user_profile.enforcement_action_opened"
RESOLVED: Final = "user_profile.enforcement_action_resolved"
UPDATED: Final = "user_profile.program_status_updated"
PROFILE_EVENTS: list[EventType] = [UPDATED, OPENED, RESOLVED]
FAST_RETRIES = {"UPROF_WEBHOOK_RETRY_BASE_SECONDS": "0.1"}
SERVER_OPTIONS = ("--webhook-max-attempts", "3", "--webhook-timeout", "2", "--webhook-allow-http")


# --- a database, servers and an organization of our own -----------------------------------


@contextmanager
def own_database(database_url: str, folder: Path) -> Iterator[tuple[str, Database]]:
    """A new, migrated database on the backend of `database_url`, open, and dropped afterwards."""
    with fresh_database(backend_of(database_url), folder) as url, opened(url) as database:
        yield url, database


@dataclass
class Hub:
    """The package's database and the server dispatching from it."""

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
        finally:  # later tests of the package need the server, whatever `meanwhile` found
            self.server = self.start_another()


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

    def endpoint(self, url: str, events: list[EventType] | None = None) -> Any:
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


class ReceivingServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 overflows when two servers deliver a burst at once: the
    # kernel then drops connections, which uprof rightly records as failed attempts.
    request_queue_size = 128


def settled(operator: Operator, endpoint_id: str, count: int, status: str) -> list[dict[str, Any]]:
    """Wait until the endpoint has `count` deliveries, all in `status`; return them."""

    def check() -> list[dict[str, Any]] | None:
        found = operator.deliveries(endpoint_id=endpoint_id)
        return found if len(found) == count and all(d["status"] == status for d in found) else None

    return list(wait_until(check, what=f"{count} {status} deliveries"))


# --- signing secrets as stored ------------------------------------------------------------------


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


def store_plaintext(connection: Connection, endpoint_id: str, current: str, previous: str | None = None) -> None:
    """Put the endpoint's secrets back in plaintext, as uprof stored them before encrypting them."""
    values: dict[str, Any] = {"signing_secret": current}
    if previous is not None:
        values["previous_signing_secret"] = previous
        values["previous_secret_expires_at"] = datetime.now(UTC) + timedelta(hours=1)
    connection.execute(update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(values))
