"""The virtual clock is one for every worker process, and the rules that read it include the rate
limit's buckets: a server of two workers with a rate limit of one request a minute."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.databases import opened
from tests.e2e.conftest import Server, start_server, stop_server
from uprof.accounts import service as accounts

R2 = {"anthropic-version": "2023-06-01", "anthropic-beta": "user-profiles-2026-08-18"}


@pytest.fixture(scope="module")
def workers(database_url: str) -> Iterator[Server]:
    running = start_server(database_url, "--test-controls", "--workers", "2", "--rate-limit", "1")
    yield running
    stop_server(running)


def keys(database_url: str) -> tuple[str, str]:
    """An admin key and a standard key of a new organization."""
    with opened(database_url) as database:
        return database.run(
            lambda c: (
                accounts.create_key(c, admin=True, organization_name="shared-clock").key,
                accounts.create_key(c, organization_name="shared-clock").key,
            ),
            write=True,
        )


def test_every_worker_reads_the_advanced_clock(workers: Server, database_url: str) -> None:
    admin, _ = keys(database_url)
    created = httpx.post(f"{workers.url}/_uprof/organizations", headers={"x-api-key": admin}, json={}).json()
    standard = {"x-api-key": created["api_key"], **R2}
    profile = httpx.post(f"{workers.url}/v1/user_profiles", headers=standard, json={"name": "Shared"}).json()
    control = {"x-api-key": created["admin_key"]}
    # The standard key's bucket holds one request a minute; the next link comes after a minute.
    httpx.post(f"{workers.url}/_uprof/clock/advance", headers=control, json={"seconds": 60})
    url = httpx.post(f"{workers.url}/v1/user_profiles/{profile['id']}/enrollment_url", headers=standard).json()["url"]
    # New connections land on either worker; every one of them serves the link, then refuses it.
    assert {httpx.get(url).status_code for _ in range(12)} == {200}
    advanced = httpx.post(f"{workers.url}/_uprof/clock/advance", headers=control, json={"seconds": 901}).json()
    assert {httpx.get(url).status_code for _ in range(12)} == {410}
    clocks = [httpx.get(f"{workers.url}/_uprof/clock", headers=control).json()["now"] for _ in range(8)]
    assert min(clocks) >= advanced["now"]


def test_rate_limit_buckets_refill_on_the_virtual_clock(workers: Server, database_url: str) -> None:
    admin, standard_key = keys(database_url)
    standard = {"x-api-key": standard_key, **R2}
    assert httpx.get(f"{workers.url}/v1/user_profiles", headers=standard).status_code == 200
    limited = httpx.get(f"{workers.url}/v1/user_profiles", headers=standard)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 30
    httpx.post(f"{workers.url}/_uprof/clock/advance", headers={"x-api-key": admin}, json={"seconds": 60})
    assert httpx.get(f"{workers.url}/v1/user_profiles", headers=standard).status_code == 200
