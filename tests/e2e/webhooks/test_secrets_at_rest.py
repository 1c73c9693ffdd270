"""Signing secrets at rest (the rotation test and the dispatch command's test check them too):
plaintext secrets are encrypted when a server starts, and a secret no configured key decrypts fails
its attempts, not the server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.webhooks.support import (
    FAST_RETRIES,
    SERVER_OPTIONS,
    UPDATED,
    Receiver,
    new_operator,
    own_database,
    settled,
    store_plaintext,
    stored_secrets,
)
from tests.secret_keys import OTHER_SECRET_KEY, TEST_SECRET_KEY
from uprof.webhooks.signing import new_secret


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
