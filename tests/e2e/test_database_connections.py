"""PostgreSQL drops every connection of a running server (as a restart or a PgBouncer failover does):
the server's database threads keep their connections without pinging them first, so the request
that meets a dead one answers 529, which the SDKs retry, and every thread then opens a new one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import psycopg
import pytest

from tests.databases import fresh_database, opened
from tests.e2e.conftest import R1_HEADERS, Server, start_server, stop_server
from uprof.accounts import service as accounts

PROFILES = 6


@pytest.fixture
def postgresql_server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    with fresh_database("postgresql", tmp_path) as url, opened(url) as database:
        key = database.run(lambda connection: accounts.create_key(connection, name="restart"), write=True).key
        server = start_server(url)
        try:
            yield server, key
        finally:
            stop_server(server)


def drop_server_connections(database_url: str) -> int:
    """Terminate every session of the server's database, as a PostgreSQL restart would."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


def test_one_request_answers_529_and_the_next_ones_reconnect(postgresql_server: tuple[Server, str]) -> None:
    server, key = postgresql_server
    with httpx.Client(base_url=server.url, headers={"x-api-key": key, **R1_HEADERS}, timeout=10) as http:
        ids = [http.post("/v1/user_profiles", json={"name": f"p{n}"}).json()["id"] for n in range(PROFILES)]
        assert drop_server_connections(server.database_url) >= 1
        answers = [http.get(f"/v1/user_profiles/{ids[n % PROFILES]}") for n in range(12)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] in (200, 529), answers[0].text
    if statuses[0] == 529:
        assert answers[0].json()["error"]["type"] == "overloaded_error"
    # One dead connection found makes every database thread open a new one before its next request.
    assert statuses[1:] == [200] * 11, statuses


def test_the_sdk_never_sees_the_lost_connections(postgresql_server: tuple[Server, str]) -> None:
    server, key = postgresql_server
    with anthropic.Anthropic(api_key=key, base_url=server.url) as sdk:  # the SDK's default retries
        created = [sdk.beta.user_profiles.create(name=f"p{n}") for n in range(PROFILES)]
        for round_number in range(3):
            drop_server_connections(server.database_url)
            for profile in created:
                assert sdk.beta.user_profiles.retrieve(profile.id).name == profile.name, round_number
            updated = sdk.beta.user_profiles.update(created[0].id, metadata={"round": str(round_number)})
            assert updated.metadata == {"round": str(round_number)}
