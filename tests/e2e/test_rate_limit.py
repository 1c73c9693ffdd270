"""Per-key rate limiting (docs/reference/http.md §15): a token bucket shared through the database, 429 with retry hints,
and the official SDK's own retry honouring them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.e2e.conftest import R1_HEADERS, Server, Tenant, start_server, stop_server


@pytest.fixture(scope="module")
def limited(server: Server) -> Iterator[Server]:
    """A second server on the same database: 60 requests a minute (one a second), bursts of 2."""
    running = start_server(server.database_url, "--rate-limit", "60", "--rate-limit-burst", "2")
    yield running
    stop_server(running)


def test_bucket_empties_then_answers_429_with_retry_hints(limited: Server, tenant: Tenant) -> None:
    headers = {"x-api-key": tenant.key, **R1_HEADERS}
    with httpx.Client(base_url=limited.url, headers=headers) as http:
        first, second, third = (http.get("/v1/user_profiles") for _ in range(3))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["anthropic-ratelimit-requests-limit"] == "2"
    assert [
        first.headers["anthropic-ratelimit-requests-remaining"],
        second.headers["anthropic-ratelimit-requests-remaining"],
    ] == ["1", "0"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.headers["anthropic-ratelimit-requests-reset"])
    assert third.status_code == 429
    assert third.json()["error"] == {
        "type": "rate_limit_error",
        "message": "rate limit exceeded; retry after 1 seconds",
    }
    assert third.headers["retry-after"] == "1"
    assert 0 < int(third.headers["retry-after-ms"]) <= 1000
    assert third.headers["anthropic-organization-id"] == tenant.organization_id


def test_requests_refused_before_the_key_is_accepted_cost_nothing(limited: Server, tenant: Tenant) -> None:
    with httpx.Client(base_url=limited.url) as http:
        for _ in range(5):
            assert (
                http.get("/v1/user_profiles", headers={"x-api-key": "sk-uprof-wrong", **R1_HEADERS}).status_code == 401
            )
        ok = http.get("/v1/user_profiles", headers={"x-api-key": tenant.key, **R1_HEADERS})
    assert ok.status_code == 200 and ok.headers["anthropic-ratelimit-requests-remaining"] == "1"


def test_requests_refused_after_the_key_is_accepted_show_the_bucket_and_cost_nothing(
    limited: Server, tenant: Tenant
) -> None:
    """Checks 5-8 (version, beta, key kind, workspace) answer with the bucket's headers but take no token."""
    refusals = [
        ("/v1/user_profiles", {"anthropic-version": "1999-01-01"}, 400),
        ("/v1/user_profiles", {**R1_HEADERS, "anthropic-beta": "user-profiles-1999-01-01"}, 400),
        ("/v1/organizations/webhooks", {"anthropic-version": "2023-06-01"}, 404),
        ("/v1/admin/enrollments", {}, 403),
        ("/v1/user_profiles", {**R1_HEADERS, "anthropic-workspace-id": "wrkspc_nowhere"}, 404),
    ]
    with httpx.Client(base_url=limited.url, headers={"x-api-key": tenant.key}) as http:
        for path, headers, status in refusals:
            refused = http.get(path, headers=headers)
            assert refused.status_code == status, refused.text
            assert refused.headers["anthropic-ratelimit-requests-limit"] == "2"
            assert refused.headers["anthropic-ratelimit-requests-remaining"] == "2"
        ok = http.get("/v1/user_profiles", headers=R1_HEADERS)
    assert ok.status_code == 200 and ok.headers["anthropic-ratelimit-requests-remaining"] == "1"


def test_the_sdk_waits_as_long_as_retry_after_says_then_succeeds(server: Server, tenant: Tenant) -> None:
    """One token every 3 s and no burst, and the SDK allowed a single retry: its own backoff (0.5 s at most
    for a first retry) would come back too early, get a second 429 and give up. Only waiting the advertised
    `retry-after-ms` (which the SDK prefers to `retry-after`) gets the second create through."""
    slow = start_server(server.database_url, "--rate-limit", "20", "--rate-limit-burst", "1")
    exchanges: list[tuple[float, str, int | None, httpx.Headers | None]] = []  # (when, what, status, headers)

    def sent(request: Any) -> None:
        exchanges.append((time.monotonic(), "request", None, None))

    def answered(response: Any) -> None:
        exchanges.append((time.monotonic(), "response", response.status_code, response.headers))

    hooks: dict[str, list[Callable[..., Any]]] = {"request": [sent], "response": [answered]}
    try:
        with anthropic.Anthropic(
            api_key=tenant.key,
            base_url=slow.url,
            max_retries=1,
            http_client=anthropic.DefaultHttpxClient(event_hooks=hooks),
        ) as client:
            created = [client.beta.user_profiles.create(name=f"p{i}").id for i in range(2)]
        metrics = httpx.get(f"{slow.url}/metrics").text
    finally:
        stop_server(slow)
    assert len(set(created)) == 2
    assert [(what, status) for _, what, status, _ in exchanges] == [
        ("request", None),
        ("response", 200),
        ("request", None),
        ("response", 429),
        ("request", None),  # the SDK's one retry
        ("response", 200),
    ]
    refused_at, _, _, refused = exchanges[3]
    assert refused is not None and refused["retry-after"] == "3"
    advertised = int(refused["retry-after-ms"]) / 1000
    assert 2.5 < advertised <= 3
    assert exchanges[4][0] - refused_at >= advertised
    # The server's own count: exactly one create was refused.
    assert 'uprof_http_requests_total{method="POST",route="/v1/user_profiles",status="429"} 1.0' in metrics
    assert 'uprof_http_requests_total{method="POST",route="/v1/user_profiles",status="200"} 2.0' in metrics
