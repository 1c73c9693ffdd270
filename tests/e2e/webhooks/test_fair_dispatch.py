"""Fair dispatch: an organization whose 32 endpoints never answer holds no more than its share of the
dispatcher's slots, so another organization's delivery arrives on time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from socketserver import BaseRequestHandler, ThreadingTCPServer

import pytest

from tests.e2e.conftest import start_server, stop_server
from tests.e2e.waiting import wait_until
from tests.e2e.webhooks.support import UPDATED, Hub, Receiver, new_operator, own_database

SHARE = 4
TIMEOUT = 10  # seconds an attempt to a hanging endpoint holds its slot


class Hanging(ThreadingTCPServer):
    """Accepts connections and never answers; counts the connections open at once."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self) -> None:
        self.open = 0
        self.most_open = 0
        self.lock = threading.Lock()
        self.released = threading.Event()
        hanging = self

        class Handler(BaseRequestHandler):
            def handle(self) -> None:
                with hanging.lock:
                    hanging.open += 1
                    hanging.most_open = max(hanging.most_open, hanging.open)
                hanging.released.wait(TIMEOUT * 3)
                with hanging.lock:
                    hanging.open -= 1

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def fair_hub(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    options = ("--webhook-timeout", str(TIMEOUT), "--webhook-max-per-organization", str(SHARE))
    with own_database(database_url, tmp_path_factory.mktemp("fair")) as (url, database):
        server = start_server(url, *options)
        try:
            yield Hub(url, database, server)
        finally:
            stop_server(server)


def test_hanging_endpoints_hold_only_their_organizations_share(fair_hub: Hub, receiver: Receiver) -> None:
    hanging = Hanging()
    hostile = new_operator(fair_hub.database, fair_hub.server)
    patient = new_operator(fair_hub.database, fair_hub.server)
    try:
        for number in range(32):
            hostile.endpoint(hanging.url(f"/{number}"), [UPDATED])
        hostile.set_cyber(hostile.profile())  # 32 deliveries that will each hang for TIMEOUT seconds
        wait_until(lambda: hanging.open == SHARE or None, what=f"{SHARE} hanging attempts")
        endpoint = patient.endpoint(receiver.url("/patient"), [UPDATED])
        receiver.route("/patient", endpoint.signing_secret)
        started = time.monotonic()
        patient.set_cyber(patient.profile())
        receiver.wait("/patient", 1, timeout=TIMEOUT / 2)
        waited = time.monotonic() - started
        assert waited < TIMEOUT / 2  # not behind the hanging attempts, which take TIMEOUT
        assert hanging.most_open == SHARE  # the hostile organization never had more in flight
    finally:
        hanging.released.set()
        hanging.shutdown()
        hanging.server_close()
        hostile.close()
        patient.close()
