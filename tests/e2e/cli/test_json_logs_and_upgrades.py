"""What a running server says below the API: every stderr line a JSON object with `--log-format json`,
and a WebSocket upgrade request answered as plain HTTP (uprof has no WebSocket routes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.cli.support import (
    ADMIN_KEY,
    FIRST_START,
    NO_SECRET_KEY,
    assert_upgrade_served_as_http,
    launch,
    raw_exchange,
)
from tests.e2e.conftest import Server, Tenant, free_port


def test_a_websocket_upgrade_request_is_served_as_plain_http(server: Server, tenant: Tenant) -> None:
    assert_upgrade_served_as_http(server.url, tenant.key)


JSON_LOG_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_with_json_logs_every_line_on_stderr_is_a_json_object(empty_database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "deployment"
    folder.mkdir()
    port = free_port()
    args = ["--port", str(port), "--database-url", empty_database_url, "--log-format", "json"]
    running = launch(tmp_path / "run", port, *args, env=NO_SECRET_KEY, cwd=folder)
    try:
        key = running.stdout.removesuffix("\n")
        assert ADMIN_KEY.fullmatch(key), running.stdout  # the key alone on stdout, as in text
        line, headers, _ = raw_exchange(running.url, b"ZZA /x HTTP/1.1\r\n\r\n")
        assert line.startswith("HTTP/1.1 400 ") and headers["request-id"].startswith("req_")
        assert_upgrade_served_as_http(running.url, key)
    finally:
        assert running.stop() == 0, running.stderr
    records = [json.loads(line) for line in running.stderr.splitlines()]  # every line is one object
    for record in records:
        assert set(record) >= {"time", "level", "logger", "message"}, record
        assert JSON_LOG_TIME.fullmatch(record["time"]), record  # UTC, microseconds, `Z`
    messages = [record["message"] for record in records]
    assert any(message.startswith("created the secret key file ") for message in messages), messages
    assert any(FIRST_START.match(f"uprof: {message}") for message in messages), messages
    assert f"listening on http://127.0.0.1:{port} (public base URL http://127.0.0.1:{port})" in messages
    # uvicorn's own warning about the unparsable request; none about the upgrade requests, served as HTTP.
    assert [r["logger"] for r in records if r["message"] == "Invalid HTTP request received."] == ["uvicorn.error"]
    assert not [message for message in messages if "upgrade" in message.lower() or "WebSocket" in message]
    assert sum(record.get("path") == "/v1/user_profiles" for record in records) == 2  # the request log
    assert key not in running.stderr
