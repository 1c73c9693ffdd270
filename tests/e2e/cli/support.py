"""Helpers for the `uprof` command tests: running the command (one invocation, or several side by side),
reading what it prints, a server whose stdout and stderr are kept apart, and raw HTTP exchanges."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.secret_keys import SECRET_KEY_ENVIRONMENT
from uprof.db.engine import make_engine

ADMIN_KEY = re.compile(r"sk-uprof-admin-[0-9A-Za-z]{48}")
FIRST_START = re.compile(
    r"^uprof: first start — created admin API key (apikey_[0-9A-Za-z]{24}); it will not be shown again$", re.M
)
GA_HEADERS = {"anthropic-version": "2023-06-01"}
NO_SECRET_KEY = {"UPROF_SECRET_KEY": ""}  # empty: unset, so the key file counts


# -- running the command -----------------------------------------------------------------------------


def base_environment() -> dict[str, str]:
    """This process's environment without any UPROF_* setting that could leak into the command, and
    with the session's secret key (an empty UPROF_SECRET_KEY in a test's `env` counts as unset)."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("UPROF_")}
    return {**inherited, **SECRET_KEY_ENVIRONMENT}


def uprof(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uprof", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**base_environment(), **(env or {})},
        cwd=cwd,
        timeout=120,
    )


@dataclass
class Call:
    args: Sequence[str]
    env: dict[str, str] | None = None


def run_all(calls: Sequence[Call], cwd: Path | None = None) -> list[subprocess.CompletedProcess[str]]:
    """Run independent invocations side by side; results in the order of `calls`."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda call: uprof(*call.args, env=call.env, cwd=cwd), calls))


def created_line(result: subprocess.CompletedProcess[str], kind: str) -> str:
    """The key ID from the `created <id> (<kind>)` line on stderr."""
    match = re.search(rf"^created (apikey_[0-9A-Za-z]{{24}}) \({re.escape(kind)}\)$", result.stderr, re.M)
    assert match, result.stderr
    return match.group(1)


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def scalar_rows(database_url: str, sql: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


# -- a server whose stdout and stderr are kept apart ----------------------------------------------------


@dataclass
class Launched:
    process: subprocess.Popen[bytes]
    url: str
    stdout_path: Path
    stderr_path: Path

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def launch(folder: Path, port: int, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Launched:
    """`uprof serve ARGS` with stdout and stderr in separate files; returns once /healthz answers 200."""
    folder.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = folder / "stdout", folder / "stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "uprof", "serve", *args],
            stdout=stdout,
            stderr=stderr,
            env={**base_environment(), **(env or {})},
            cwd=cwd,
        )
    launched = Launched(process, f"http://127.0.0.1:{port}", stdout_path, stderr_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uprof serve exited with {process.returncode}: {launched.stderr}")
        try:
            if httpx.get(f"{launched.url}/healthz", timeout=1).status_code == 200:
                return launched
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise AssertionError(f"uprof serve did not become healthy: {launched.stderr}")


# -- raw HTTP: a request the HTTP client would not send -------------------------------------------------


UPGRADE_REQUEST = (
    "GET /v1/user_profiles HTTP/1.1\r\nHost: uprof\r\nanthropic-version: 2023-06-01\r\n{key}"
    "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


def raw_exchange(url: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send `request` on a new connection; return the status line, headers and body of the answer."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            assert chunk, answer
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        while len(body) < int(headers.get("content-length", "0")):
            chunk = connection.recv(65536)
            assert chunk, body
            body += chunk
    return status, headers, body


def assert_upgrade_served_as_http(url: str, key: str) -> None:
    """A request that asks for a WebSocket gets the API's plain HTTP answer (uprof has no WebSocket routes)."""
    for sent, status in [(f"x-api-key: {key}\r\n", 200), ("", 401)]:
        line, headers, body = raw_exchange(url, UPGRADE_REQUEST.format(key=sent).encode())
        assert line.startswith(f"HTTP/1.1 {status} "), (line, body)
        assert headers["content-type"] == "application/json"
        assert headers["request-id"].startswith("req_")
        answer = json.loads(body)
        if status == 401:
            assert answer["type"] == "error" and answer["request_id"] == headers["request-id"]
        else:
            assert answer == {"data": [], "next_page": None}
