"""End-to-end fixtures: the real `uprof serve` as a subprocess, and a fresh organization per test.

Each test gets its own organization (created through the accounts service, the same code
`uprof keys create --organization` runs), so tests never see each other's profiles: a clean
database per test without restarting the server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.secret_keys import SECRET_KEY_ENVIRONMENT
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    database_url: str
    log: Path  # the server's stdout and stderr

    def output(self) -> str:
        return self.log.read_text()


def start_server(database_url: str, *extra: str, env: dict[str, str] | None = None) -> Server:
    """`uprof serve` on a free port, with the session's secret key unless `env` gives another."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="uprof-serve-")) / "output.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uprof", "serve", "--port", str(port), "--database-url", database_url, *extra],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **SECRET_KEY_ENVIRONMENT, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uprof serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(url, process, database_url, log)
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("uprof serve did not become healthy within 30 s")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    running = start_server(database_url)
    yield running
    stop_server(running)


@dataclass
class Tenant:
    """A fresh organization with a standard API key."""

    organization_id: str
    key: str
    key_id: str


@pytest.fixture
def tenant(database: Database) -> Tenant:
    name = f"test-{uuid.uuid4()}"

    def work(connection: object) -> Tenant:
        created = accounts.create_key(connection, name="e2e", organization_name=name)  # type: ignore[arg-type]
        organization_id = accounts.organization_for(connection, name)  # type: ignore[arg-type]
        return Tenant(organization_id, created.key, created.id)

    return database.run(work, write=True)


R1_HEADERS = {"anthropic-version": "2023-06-01", "anthropic-beta": "user-profiles-2026-03-24"}


@pytest.fixture
def http(server: Server, tenant: Tenant) -> Iterator[httpx.Client]:
    """Raw HTTP as the 0.x SDK sends it (R1, x-api-key), for error paths the SDK cannot produce."""
    with httpx.Client(base_url=server.url, headers={"x-api-key": tenant.key, **R1_HEADERS}, timeout=10) as client:
        yield client


@pytest.fixture
def client(server: Server, tenant: Tenant):  # type: ignore[no-untyped-def]
    """The official SDK of this environment (2.14.0, or 0.121.0 under tests/e2e/sdk_legacy) pointed at uprof."""
    import anthropic

    with anthropic.Anthropic(api_key=tenant.key, base_url=server.url, max_retries=0) as sdk:
        yield sdk
