"""Atomic updates: two server processes merging different metadata keys of one profile lose nothing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import R1_HEADERS, Server, Tenant, start_server, stop_server

ROUNDS = 40


@pytest.fixture(scope="module")
def second_server(server: Server) -> Iterator[Server]:
    """Another `uprof serve` process on the same database as `server`."""
    other = start_server(server.database_url)
    yield other
    stop_server(other)


def test_two_processes_updating_different_keys_lose_nothing(
    server: Server, second_server: Server, tenant: Tenant
) -> None:
    headers = {"x-api-key": tenant.key, **R1_HEADERS}
    created = httpx.post(f"{server.url}/v1/user_profiles", headers=headers, json={"name": "shared"}).json()
    path = f"/v1/user_profiles/{created['id']}"

    def writer(base_url: str, prefix: str) -> list[int]:
        statuses = []
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            for i in range(ROUNDS):
                # Each writer owns four keys (4 writers x 4 = the 16-key limit); every request rewrites two of them.
                body = {"metadata": {f"{prefix}{i % 3}": str(i), f"{prefix}_last": str(i)}}
                statuses.append(client.post(path, json=body).status_code)
        return statuses

    with ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(writer, server.url, "a"),
            pool.submit(writer, second_server.url, "b"),
            pool.submit(writer, server.url, "c"),
            pool.submit(writer, second_server.url, "d"),
        ]
        statuses = [status for future in futures for status in future.result()]

    assert statuses == [200] * (4 * ROUNDS)
    final = httpx.get(f"{server.url}{path}", headers=headers).json()
    expected = {}
    for prefix in "abcd":
        for i in range(ROUNDS):
            expected[f"{prefix}{i % 3}"] = str(i)
        expected[f"{prefix}_last"] = str(ROUNDS - 1)
    assert final["metadata"] == expected


def test_same_key_last_commit_wins_and_count_limit_holds(server: Server, second_server: Server, tenant: Tenant) -> None:
    """Concurrent adds of distinct keys never push the merged map past 16 keys."""
    headers = {"x-api-key": tenant.key, **R1_HEADERS}
    created = httpx.post(f"{server.url}/v1/user_profiles", headers=headers, json={}).json()
    path = f"/v1/user_profiles/{created['id']}"

    def add(base_url: str, key: str) -> int:
        return httpx.post(f"{base_url}{path}", headers=headers, json={"metadata": {key: "v"}}, timeout=30).status_code

    with ThreadPoolExecutor(6) as pool:
        urls = [server.url, second_server.url]
        statuses = list(pool.map(lambda i: add(urls[i % 2], f"k{i}"), range(24)))

    final = httpx.get(f"{server.url}{path}", headers=headers).json()
    assert statuses.count(200) == 16 and statuses.count(400) == 8
    assert len(final["metadata"]) == 16
