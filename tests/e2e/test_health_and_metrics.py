"""Health, readiness and Prometheus metrics (issue: operations)."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from tests.e2e.conftest import R1_HEADERS, Server, Tenant, start_server, stop_server
from uprof.db import migrate
from uprof.db.unit_of_work import Database


def test_healthz_and_readyz_need_no_key(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": True, "migrations": True, "webhook_dispatcher": True},
    }


def test_readyz_answers_503_naming_the_migrations_check_while_the_schema_is_not_current(
    server: Server, database: Database
) -> None:
    """A database another uprof moved to a revision this one does not know: not ready until it is back."""
    head = migrate.head_revision()

    def set_revision(revision: str) -> None:
        database.run(
            lambda c: c.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision}),
            write=True,
        )

    set_revision("9999")  # a revision this uprof does not know
    try:
        ready = httpx.get(f"{server.url}/readyz")
    finally:
        set_revision(head)
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "checks": {"database": True, "migrations": False, "webhook_dispatcher": True},
    }
    again = httpx.get(f"{server.url}/readyz")
    assert again.status_code == 200 and again.json()["status"] == "ready"


def test_metrics_count_requests_by_route_and_show_the_webhook_queue(server: Server, tenant: Tenant) -> None:
    headers = {"x-api-key": tenant.key, **R1_HEADERS}
    created = httpx.post(f"{server.url}/v1/user_profiles", headers=headers, json={"name": "m"})
    assert created.status_code == 200
    assert httpx.get(f"{server.url}/v1/user_profiles/uprof_nope", headers=headers).status_code == 404
    text = httpx.get(f"{server.url}/metrics").text
    assert 'uprof_http_requests_total{method="POST",route="/v1/user_profiles",status="200"}' in text
    assert 'uprof_http_requests_total{method="GET",route="/v1/user_profiles/{user_profile_id}",status="404"}' in text
    assert "uprof_http_request_duration_seconds_bucket" in text
    assert 'uprof_webhook_attempts{outcome="success"}' in text
    assert "uprof_db_pool_connections_in_use" in text
    assert tenant.key not in text


def test_metrics_can_be_protected_or_turned_off(server: Server) -> None:
    protected = start_server(server.database_url, "--metrics-token", "s3cret")
    try:
        assert httpx.get(f"{protected.url}/metrics").status_code == 401
        scrape = httpx.get(f"{protected.url}/metrics", headers={"authorization": "Bearer s3cret"})
        assert scrape.status_code == 200 and "uprof_http_requests_total" in scrape.text
        # The scheme is case-insensitive (docs/reference/http.md §3); the token must match exactly.
        for authorization, status in [
            ("bearer s3cret", 200),
            ("BEARER s3cret", 200),
            ("Bearer s3cre", 401),
            ("Bearer s3cret2", 401),
            ("Bearer S3CRET", 401),
            ("Basic s3cret", 401),
            ("s3cret", 401),
        ]:
            response = httpx.get(f"{protected.url}/metrics", headers={"authorization": authorization})
            assert response.status_code == status, authorization
        log = protected.output()
        assert "/metrics" not in log and "/healthz" not in log  # probes and scrapes stay out of the log
    finally:
        stop_server(protected)
    off = start_server(server.database_url, "--no-metrics")
    try:
        assert httpx.get(f"{off.url}/metrics").status_code == 404
    finally:
        stop_server(off)


def test_json_logs_carry_request_id_route_status_latency_and_key_id(server: Server, tenant: Tenant) -> None:
    import json

    logged = start_server(server.database_url, "--log-format", "json")
    try:
        response = httpx.get(
            f"{logged.url}/v1/user_profiles/uprof_000000000000000000000000",
            headers={"x-api-key": tenant.key, **R1_HEADERS},
        )
        assert response.status_code == 404
    finally:
        stop_server(logged)
    # Read once the server has stopped: a request's line is written after its response is sent.
    lines = [json.loads(line) for line in logged.output().splitlines()]  # every line is one object
    entry = next(line for line in lines if line.get("request_id") == response.headers["request-id"])
    assert entry["route"] == "/v1/user_profiles/{user_profile_id}"
    assert entry["status"] == 404 and entry["method"] == "GET" and entry["duration_ms"] > 0
    assert entry["key_id"] == tenant.key_id
    assert tenant.key not in logged.output()


def test_metrics_of_several_workers_count_every_request_once(database_url: str, tenant: Tenant) -> None:
    """With --workers 2 each request is answered by one worker, and /metrics (from whichever worker)
    sums both: 40 creates over fresh connections show as 40, wherever they landed."""
    running = start_server(database_url, "--workers", "2")
    try:
        route = 'uprof_http_requests_total{method="POST",route="/v1/user_profiles",status="200"}'

        def created_count() -> float:
            for line in httpx.get(f"{running.url}/metrics").text.splitlines():
                if line.startswith(route + " "):
                    return float(line.rpartition(" ")[2])
            return 0.0

        before = created_count()
        headers = {"x-api-key": tenant.key, **R1_HEADERS}
        for n in range(40):  # a new connection each time, so the kernel spreads them over the workers
            assert httpx.post(f"{running.url}/v1/user_profiles", headers=headers, json={"name": f"w{n}"}).is_success
        assert created_count() - before == 40
    finally:
        stop_server(running)
