"""Several dispatchers on one database: two servers never send one attempt twice, and
`uprof webhooks dispatch` delivers without a server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection

from tests.e2e.conftest import stop_server
from tests.e2e.webhooks.support import (
    FAST_RETRIES,
    OPENED,
    UPDATED,
    Hub,
    Operator,
    Receiver,
    own_database,
    settled,
    store_plaintext,
    stored_secrets,
)
from tests.secret_keys import SECRET_KEY_ENVIRONMENT, session_box
from uprof.accounts import service as accounts
from uprof.profiles import service as profiles
from uprof.profiles.schemas import ProfileInput
from uprof.provider import service as provider
from uprof.webhooks import service as endpoints
from uprof.webhooks.schemas import NewEndpoint

EVENTS = 40  # caused at once through two servers


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

        def cause_event(connection: Connection) -> tuple[str, str, str, str]:
            organization_id = accounts.organization_for(connection, name)
            new = NewEndpoint(receiver.url("/standalone"), [UPDATED], "", "")
            endpoint = endpoints.create(connection, organization_id, new, now, session_box())
            # As stored before secrets were encrypted: the command encrypts it before dispatching.
            store_plaintext(connection, endpoint.row.id, endpoint.signing_secret)
            profile = profiles.create(connection, organization_id, ProfileInput(), now).profile
            provider.set_program(connection, organization_id, profile.id, "cyber", status="active", now=now)
            return endpoint.row.id, endpoint.signing_secret, profile.id, organization_id

        endpoint_id, secret, profile_id, organization_id = database.run(cause_event, write=True)
        receiver.route("/standalone", secret)
        log = tmp_path / "dispatch.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "uprof", "webhooks", "dispatch", "--database-url", url],
                stdout=sink,
                stderr=subprocess.STDOUT,
                # Serving no HTTP, the command cannot know the servers listen on loopback only: a
                # receiver on this machine is reached by allowing its range.
                env={
                    **os.environ,
                    **SECRET_KEY_ENVIRONMENT,
                    **FAST_RETRIES,
                    "UPROF_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8",
                },
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
    assert "may go to public addresses, 127.0.0.0/8;" in log.read_text()
