"""Helpers for the reliability tests (crash safety, concurrency, fuzzing, hostile input): a database of a
test's own, an organization with a standard and an admin key, a webhook receiver, SIGKILL, and the
figures each test writes to `artifacts/reliability/<name>.json` for docs/reliability.md."""

from __future__ import annotations

import json
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection

from tests.databases import backend_of, fresh_database
from tests.e2e.conftest import Server
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database

T = TypeVar("T")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reliability"
GA = {"anthropic-version": "2023-06-01"}
WEBHOOKS = {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"}


@contextmanager
def own_database(database_url: str, folder: Path) -> Iterator[str]:
    """A new, migrated database on the backend of `database_url`, dropped afterwards."""
    with fresh_database(backend_of(database_url), folder) as url:
        yield url


@dataclass
class Keys:
    """One organization with a standard key and an admin key."""

    organization_id: str
    standard: str
    admin: str


def new_keys(database: Database) -> Keys:
    name = f"reliability-{uuid.uuid4()}"

    def work(connection: Connection) -> Keys:
        standard = accounts.create_key(connection, name="standard", organization_name=name)
        admin = accounts.create_key(connection, name="admin", admin=True, organization_name=name)
        return Keys(accounts.organization_for(connection, name), standard.key, admin.key)

    return database.run(work, write=True)


def kill(server: Server) -> None:
    """SIGKILL: no shutdown handler, no lease release, no flush beyond what each commit already did."""
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=15)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 at once and keeps every delivery's event ID."""

    received: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- the http.server hook's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.received.append((self.headers.get("webhook-id", ""), body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/hooks"

    def event_ids(self) -> list[str]:
        with self.lock:
            return [event_id for event_id, _ in self.received]

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def record_figures(name: str, key: str, figures: dict[str, Any]) -> None:
    """Merge `figures` under `key` into artifacts/reliability/<name>.json (other keys are kept)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    document: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    document[key] = {**figures, "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path.write_text(json.dumps(dict(sorted(document.items())), indent=2) + "\n", encoding="utf-8")
