"""The egress policy against real servers and sockets: a server listening on all interfaces refuses
every spelling of its own host and of the other non-public ranges when an endpoint is registered or
changed, and an attempt to a name that resolves to loopback opens no connection and is logged as
`address_not_allowed`; a development server on 127.0.0.1 still delivers to a receiver on this machine."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from socketserver import BaseRequestHandler, ThreadingTCPServer
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.webhooks.support import (
    FAST_RETRIES,
    SERVER_OPTIONS,
    UPDATED,
    Hub,
    Operator,
    Receiver,
    new_operator,
    own_database,
    settled,
)
from uprof.db.unit_of_work import Database
from uprof.webhooks.models import webhook_endpoint

WEBHOOK_HEADERS = {"anthropic-beta": "webhooks-2026-10-07", "anthropic-version": "2023-06-01"}


class CountingListener(ThreadingTCPServer):
    """Listens on every interface and counts the connections it accepts (answering none)."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.accepted = 0

        class Handler(BaseRequestHandler):
            def handle(self) -> None:
                pass

        super().__init__(("0.0.0.0", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def get_request(self) -> tuple[socket.socket, Any]:
        self.accepted += 1
        return super().get_request()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture(scope="module")
def exposed(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Database]]:
    """A server on 0.0.0.0 with a database of its own (the package's server, on loopback, would
    deliver what this one refuses)."""
    with own_database(database_url, tmp_path_factory.mktemp("egress")) as (url, database):
        server = start_server(url, "--host", "0.0.0.0", *SERVER_OPTIONS, env=FAST_RETRIES)
        try:
            yield server, database
        finally:
            stop_server(server)


@pytest.fixture
def outsider(exposed: tuple[Server, Database]) -> Iterator[Operator]:
    running = new_operator(exposed[1], exposed[0])
    yield running
    running.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[CountingListener]:
    running = CountingListener()
    yield running
    running.shutdown()
    running.server_close()


def refused_urls(port: int) -> list[str]:
    own = sorted({str(entry[4][0]) for entry in socket.getaddrinfo(socket.gethostname(), None)})
    loopback = [
        f"http://{host}:{port}/hook"
        for host in (
            "127.0.0.1",
            "127.1",
            "127.0.1.1",
            "2130706433",
            "0x7f.1",
            "0x7f000001",
            "0177.0.0.1",
            "017700000001",
            "127.000.000.001",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[::127.0.0.1]",
            "[64:ff9b::7f00:1]",
            "[2002:7f00:1::1]",
            "0.0.0.0",
            "0",
            "[::]",
            "localhost",
            "LOCALHOST.",
            "api.localhost",
        )
    ]
    others = [
        f"https://{host}/latest/meta-data/"
        for host in (
            "169.254.169.254",
            "[::ffff:169.254.169.254]",
            "[::ffff:a9fe:a9fe]",
            "2852039166",  # 169.254.169.254 as one number
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "[fd00::1]",
            "[fc00::1]",
            "[fe80::1]",
            "224.0.0.1",
            "[ff02::1]",
            "255.255.255.255",
            "192.0.2.2",
        )
    ]
    return loopback + others + [f"http://{address}:{port}/hook" for address in own if ":" not in address]


def test_literal_addresses_are_refused_when_registered_or_changed(
    outsider: Operator, listener: CountingListener
) -> None:
    kept = outsider.endpoint("https://hooks.example.com/uprof")
    for url in refused_urls(listener.port):
        body = {"url": url, "enabled_events": [UPDATED]}
        created = outsider.http.post("/v1/organizations/webhooks", json=body, headers=WEBHOOK_HEADERS)
        changed = outsider.http.post(
            f"/v1/organizations/webhooks/{kept.id}", json={"url": url}, headers=WEBHOOK_HEADERS
        )
        for response in (created, changed):
            assert response.status_code == 400, (url, response.text)
            error = response.json()["error"]
            assert error["type"] == "invalid_request_error"
            assert error["message"].startswith("url: the host is a "), (url, error)
    listed = outsider.http.get("/v1/organizations/webhooks", headers=WEBHOOK_HEADERS).json()["data"]
    assert [(item["id"], item["url"]) for item in listed] == [(kept.id, "https://hooks.example.com/uprof")]
    assert listener.accepted == 0


@pytest.mark.parametrize("host", [socket.gethostname(), "2130706433", "[::ffff:127.0.0.1]", "localhost"])
def test_an_attempt_to_a_refused_address_opens_no_connection(
    exposed: tuple[Server, Database], outsider: Operator, listener: CountingListener, host: str
) -> None:
    """A name that resolves to loopback passes registration and is refused when the attempt resolves it;
    literal spellings that reached the database some other way (an import, an older version) too."""
    endpoint = outsider.endpoint("https://hooks.example.com/uprof", [UPDATED])
    url = f"http://{host}:{listener.port}/hook"
    if host == socket.gethostname():
        changed = outsider.http.post(
            f"/v1/organizations/webhooks/{endpoint.id}", json={"url": url}, headers=WEBHOOK_HEADERS
        )
        assert changed.status_code == 200, changed.text
    else:
        statement = update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint.id).values(url=url)
        exposed[1].run(lambda c: c.execute(statement), write=True)
    outsider.set_cyber(outsider.profile())
    [delivery] = settled(outsider, endpoint.id, 1, "failed")
    attempts = outsider.delivery(delivery["id"])["attempts"]
    assert len(attempts) == 3
    assert {(a["error"], a["status_code"], a["response_excerpt"]) for a in attempts} == {
        ("address_not_allowed", None, None)
    }
    assert listener.accepted == 0


def test_the_start_up_log_states_the_policy(exposed: tuple[Server, Database], shared: Hub) -> None:
    assert "webhook deliveries may go to public addresses; all other addresses are refused" in exposed[0].output()
    assert "public addresses, loopback (the server listens on loopback only);" in shared.server.output()


def test_a_development_server_delivers_to_this_machine(operator: Operator, receiver: Receiver) -> None:
    endpoint = operator.endpoint(receiver.url("/local"), [UPDATED])
    receiver.route("/local", endpoint.signing_secret)
    operator.set_cyber(operator.profile())
    receiver.wait("/local", 1)
    [delivery] = settled(operator, endpoint.id, 1, "succeeded")
    assert operator.delivery(delivery["id"])["attempts"][0]["status_code"] == 200
