"""`uprof export` and `uprof import` (docs/reference/cli.md §6–7) on real SQLite and PostgreSQL databases.

Every test works on brand-new databases of its own, made (and dropped) by `new_databases`: on the
backend of the run, and for the migration test on the other backend too.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select as selectors
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import JSON, BigInteger, Connection, String, cast, insert, literal, select
from standardwebhooks import Webhook

from tests.databases import backend_of, opened
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.pages.support import VALID_APPLICATION, VALID_IDENTITY, csrf_of
from tests.e2e.portability_support import (
    T0,
    base_environment,
    export_of,
    new_databases,
    row_counts,
    run_all,
    seed,
    stored_secrets,
    uprof,
    without_header,
)
from tests.e2e.waiting import wait_until
from tests.secret_keys import OTHER_SECRET_KEY, SECRET_KEY_ENVIRONMENT, session_box
from uprof.accounts import service as accounts
from uprof.accounts.models import organization
from uprof.cli import main
from uprof.crypto.sealing import SecretBox, SecretUnreadable
from uprof.ids import new_id
from uprof.portability.export import export
from uprof.portability.records import DATA_KINDS
from uprof.profiles.models import user_profile
from uprof.provider.models import enrollment
from uprof.timestamps import to_micros
from uprof.webhooks.models import webhook_delivery

GA = {"anthropic-version": "2023-06-01"}
SECRETS_WARNING = (
    "uprof: the export holds API key hashes and webhook signing secrets in the clear: keep it as private as the"
    " database, and out of version control"
)
R1 = {**GA, "anthropic-beta": "user-profiles-2026-03-24"}
WEBHOOKS = {**GA, "anthropic-beta": "webhooks-2026-10-07"}
PROFILE_EVENTS = [
    "user_profile.program_status_updated",
    "user_profile.enforcement_action_opened",
    "user_profile.enforcement_action_resolved",
]


@pytest.fixture
def make_database(tmp_path: Path) -> Iterator[Callable[..., str]]:
    with new_databases(tmp_path) as make:
        yield make


def records_of(export: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in export.splitlines()]


# --- round trip -----------------------------------------------------------------------------


def test_export_then_import_then_export_gives_the_same_bytes(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    source, target = make_database(backend), make_database(backend)
    seeded = seed(source)
    total = sum(seeded.counts.values())

    exported = uprof("export", "--database-url", source)  # no FILE: stdout
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.decode() == f"exported {total} records to stdout\n{SECRETS_WARNING}\n"
    records = records_of(exported.stdout)
    assert records[-1] == {"kind": "footer", "counts": seeded.counts}
    body = records[1:-1]
    assert [record["kind"] for record in body] == sorted((record["kind"] for record in body), key=DATA_KINDS.index)
    for kind in DATA_KINDS:
        # Each kind's key: its ID, a server secret's name, or the profile whose data controls it holds.
        keys = ("id", "name", "user_profile_id")
        ids = [next(record[key] for key in keys if key in record) for record in body if record["kind"] == kind]
        if kind != "workspace":  # sorted by organization, then ID
            assert ids == sorted(ids), f"{kind} records are not in code-point order of their IDs"

    # The target belongs to another deployment, with a secret key of its own.
    target_key = {"UPROF_SECRET_KEY": OTHER_SECRET_KEY}
    imported = uprof("import", "-", "--database-url", target, stdin=exported.stdout, env=target_key)  # `-`: stdin
    assert imported.returncode == 0, imported.stderr
    assert (imported.stdout, imported.stderr.decode()) == (b"", f"imported {total} records\n")

    again = tmp_path / "again.jsonl"
    assert uprof("export", str(again), "--database-url", target, env=target_key).returncode == 0
    assert without_header(again.read_bytes()) == without_header(exported.stdout)
    # The file holds the secrets in plaintext; the target stores them encrypted with its own key.
    secrets = {r["signing_secret"] for r in records if r["kind"] == "webhook_endpoint"}
    assert len(secrets) == 2 and all(secret.startswith("whsec_") for secret in secrets)
    stored = stored_secrets(target)
    assert all(not value.startswith("whsec_") for value in stored)
    assert {SecretBox([OTHER_SECRET_KEY]).open(value) for value in stored} >= secrets
    with pytest.raises(SecretUnreadable):
        session_box().open(stored[0])
    assert stat.S_IMODE(again.stat().st_mode) == 0o600  # it holds secrets
    unreadable = uprof("export", "--database-url", target)  # with the source's key
    assert unreadable.returncode == 1
    assert b"no configured secret key decrypts the signing secrets of webhook endpoint whep_" in unreadable.stderr
    # A failed export into a file leaves the earlier file as it was, and nothing half-written beside it.
    earlier = again.read_bytes()
    assert uprof("export", str(again), "--database-url", target).returncode == 1
    assert again.read_bytes() == earlier and not list(tmp_path.glob("*.partial"))

    # Links are not exported; a delivery's lease is not carried over, so it resumes on the new database.
    source_rows, target_rows = row_counts(source), row_counts(target)
    assert (source_rows.pop("link"), target_rows.pop("link")) == (1, 0)
    assert target_rows == source_rows
    with opened(target) as database, database.unit_of_work(write=False) as connection:
        lease = webhook_delivery.c.lease_expires_at
        assert connection.scalar(select(lease).where(webhook_delivery.c.id == seeded.leased_delivery_id)) is None


def test_the_export_is_one_snapshot_while_others_write(database_url: str, make_database: Callable[..., str]) -> None:
    url = make_database(backend_of(database_url))
    seeded = seed(url)
    late_profile = new_id("uprof_")
    committed = threading.Event()

    def write_meanwhile(connection: Connection) -> None:
        organization_id = str(uuid.uuid4())
        connection.execute(insert(organization).values(id=organization_id, name="late", created_at=T0))
        row = {"id": late_profile, "organization_id": organization_id, "access_type": "application", "metadata": {}}
        connection.execute(insert(user_profile).values(**row, created_at=T0, updated_at=T0))

    class Sink(io.BytesIO):
        """Once the export has written its first organization, another connection commits new rows."""

        def write(self, data: Any) -> int:
            if b'"kind":"organization"' in data and not committed.is_set():
                with opened(url) as other:
                    other.run(write_meanwhile, write=True)
                committed.set()
            return super().write(data)

    sink = Sink()
    with opened(url) as database:
        counts = export(database, sink, session_box(), show_progress=False)
    assert committed.is_set()
    assert counts == seeded.counts and records_of(sink.getvalue())[-1]["counts"] == seeded.counts
    assert late_profile.encode() not in sink.getvalue() and b'"name":"late"' not in sink.getvalue()
    later = uprof("export", "--database-url", url)
    assert late_profile.encode() in later.stdout  # committed indeed; the first export just did not see it


# --- rejections -----------------------------------------------------------------------------


def _replace(lines: list[bytes], index: int, record: dict[str, Any]) -> list[bytes]:
    return [*lines[:index], json.dumps(record).encode() + b"\n", *lines[index + 1 :]]


def _edit(lines: list[bytes], kind: str, change: Callable[[dict[str, Any]], None], last: bool = True) -> list[bytes]:
    """The file with one record of `kind` (the last one, or the first) changed."""
    positions = [i for i, line in enumerate(lines) if json.loads(line)["kind"] == kind]
    index = positions[-1 if last else 0]
    record = json.loads(lines[index])
    change(record)
    return _replace(lines, index, record)


def _rejected_files(good: bytes) -> dict[str, tuple[bytes, int, str]]:
    """Broken variants of a good export: name → (file, line reported, start of the problem)."""
    lines = good.splitlines(keepends=True)
    n = len(lines)
    kinds = [json.loads(line)["kind"] for line in lines]
    first_profile, first_delivery = kinds.index("user_profile") + 1, kinds.index("webhook_delivery") + 1
    last_profile = n - kinds[::-1].index("user_profile")
    footer = json.loads(lines[-1])
    footer["counts"]["user_profile"] += 1
    header = json.loads(lines[0])

    def join(parts: list[bytes]) -> bytes:
        return b"".join(parts)

    return {
        "bad header": (join(_replace(lines, 0, {**header, "format": "csv"})), 1, "not an export file"),
        "newer version": (join(_replace(lines, 0, {**header, "version": 2})), 1, "unsupported version 2"),
        "no header": (join(lines[1:]), 1, "not an export file"),
        "missing footer": (join(lines[:-1]), n, "the file ends without a footer"),
        "count mismatch": (join(_replace(lines, n - 1, footer)), n, "count mismatch: the footer says 5 user_profile"),
        "unknown kind": (join([*lines[:-1], b'{"kind":"gadget"}\n', lines[-1]]), n, "unknown record kind 'gadget'"),
        "truncated": (join(lines[:-1])[:-40], n - 1, "not a JSON object"),
        "after the footer": (join([*lines, lines[1]]), n + 1, "content after the footer"),
        "out of order": (
            join([*lines[:-2], lines[1], *lines[-2:]]),
            n - 1,
            "organization record after server_secret records",
        ),
        "invalid metadata": (
            join(_edit(lines, "user_profile", lambda r: r.update(metadata={"k": "v" * 513}))),
            last_profile,
            "invalid user_profile record: metadata.k: must be 1 to 512 characters",
        ),
        "unknown field": (
            join(_edit(lines, "user_profile", lambda r: r.update(nickname="Ada"), last=False)),
            first_profile,
            "invalid user_profile record: nickname: unknown field",
        ),
        "dangling reference": (
            join(_edit(lines, "webhook_delivery", lambda r: r.update(event_id="event_nope"), last=False)),
            first_delivery,
            "invalid webhook_delivery record: event_id: no webhook event with this ID",
        ),
        "not UTF-8": (join([*lines[:-1], b'{"kind":"gadget\xff"}\n', lines[-1]]), n, "not a JSON object"),
        "empty": (b"", 1, "the file is empty"),
    }


def test_every_rejection_names_its_line_and_leaves_the_target_untouched(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    source, target = make_database(backend), make_database(backend)
    seed(source)
    good = export_of(source)
    untouched = row_counts(target)
    assert set(untouched.values()) == {0}
    runner = CliRunner()
    for name, (content, line, problem) in _rejected_files(good).items():
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(content)
        env = {"UPROF_PROGRESS": "1", **SECRET_KEY_ENVIRONMENT}
        result = runner.invoke(main, ["import", str(path), "--database-url", target], env=env)
        assert result.exit_code == 1, (name, result.output)
        first, second = result.stderr.splitlines()
        assert first.startswith(f"line {line}: {problem}"), (name, first)
        assert second == "uprof: import rejected; the database is unchanged"
        assert result.stdout == ""
        assert row_counts(target) == untouched, name
    # The same target takes the good file afterwards.
    (tmp_path / "good.jsonl").write_bytes(good)
    good_file = ["import", str(tmp_path / "good.jsonl"), "--database-url", target]
    assert runner.invoke(main, good_file, env=SECRET_KEY_ENVIRONMENT).exit_code == 0


def test_a_target_that_holds_data_is_refused_unchanged(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    source, target = make_database(backend), make_database(backend)
    seed(source)
    file = tmp_path / "export.jsonl"
    file.write_bytes(export_of(source))
    with opened(target) as database:
        database.run(lambda connection: accounts.create_key(connection, name="already here"), write=True)
    before = export_of(target)

    refused = uprof("import", str(file), "--database-url", target)
    assert refused.returncode == 1
    assert refused.stderr.decode() == (
        "uprof: import rejected: the database is not empty: it holds organization, api_key rows; "
        "import into a database without data: a SQLite file that does not exist yet (import creates it) or an "
        "empty PostgreSQL database\n"
    )
    assert without_header(export_of(target)) == without_header(before)


def test_usage_errors_exit_2(database_url: str, make_database: Callable[..., str], tmp_path: Path) -> None:
    target = make_database(backend_of(database_url))
    missing, no_file, bad = run_all(
        lambda: uprof("import", str(tmp_path / "nothing-here.jsonl"), "--database-url", target),
        lambda: uprof("import", "--database-url", target),
        lambda: uprof("export", "--database-url", target, env={"UPROF_PROGRESS": "sometimes"}),
    )
    assert missing.returncode == 2 and b"does not exist" in missing.stderr
    assert no_file.returncode == 2 and b"Missing argument 'FILE'" in no_file.stderr
    assert bad.returncode == 2 and b"--no-progress" in bad.stderr and bad.stdout == b""


# --- the secret key: read or made only when there is something to decrypt or seal ----------


def _no_key(folder: Path) -> dict[str, str]:
    """No secret key given, and the key file named is one (in `folder`) that does not exist."""
    return {"UPROF_SECRET_KEY": "", "UPROF_SECRET_KEY_FILE": str(folder / "uprof.key")}


def test_export_needs_the_secret_key_only_for_encrypted_secrets(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    keys_only, with_endpoints = make_database(backend), make_database(backend)
    with opened(keys_only) as database:
        database.run(lambda connection: accounts.create_key(connection, name="k"), write=True)
    seed(with_endpoints)  # its endpoints' signing secrets are stored encrypted
    folder = tmp_path / "no-key"
    folder.mkdir()
    plain, refused, refused_on_stdout = run_all(
        lambda: uprof("export", "--database-url", keys_only, env=_no_key(folder)),
        lambda: uprof("export", str(folder / "out.jsonl"), "--database-url", with_endpoints, env=_no_key(folder)),
        lambda: uprof("export", "--database-url", with_endpoints, env=_no_key(folder)),
    )
    assert plain.returncode == 0, plain.stderr
    footer = records_of(plain.stdout)[-1]
    assert footer["counts"]["api_key"] == 1 and footer["counts"]["webhook_endpoint"] == 0
    for result in (refused, refused_on_stdout):  # refused before a line is written, even to stdout
        assert result.returncode == 1 and result.stdout == b"", result.stderr
        assert result.stderr.startswith(b"uprof: export failed: "), result.stderr
        assert b"does not exist: give the key the server uses" in result.stderr
    assert list(folder.iterdir()) == []  # neither a key file nor a (partial) export


def test_an_export_to_a_symlink_writes_through_it(database_url: str, tmp_path: Path) -> None:
    """Only a regular file is replaced at the end; a link (or a device, or a pipe) is written through."""
    target = tmp_path / "exports" / "2026-11-27.jsonl"
    target.parent.mkdir()
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    assert uprof("export", str(link), "--database-url", database_url).returncode == 0
    assert link.is_symlink() and link.resolve() == target
    assert records_of(target.read_bytes())[-1]["kind"] == "footer"


TRUNCATED = b'{"kind":"header","format":"uprof-export","version":1,"exported_at":"2026-11-26T13:00:00.000000Z"}\n'


def test_a_rejected_import_leaves_no_key_file_and_no_database_file_it_made(tmp_path: Path) -> None:
    folder = tmp_path / "deployment"
    folder.mkdir()
    truncated = folder / "truncated.jsonl"
    truncated.write_bytes(TRUNCATED)
    existing = folder / "existing.db"
    assert uprof("db", "upgrade", "--database-url", f"sqlite:///{existing}").returncode == 0
    before = sorted(path.name for path in folder.iterdir())
    results = run_all(
        lambda: uprof(
            "import", str(truncated), "--database-url", f"sqlite:///{folder / 'new.db'}", env=_no_key(folder)
        ),
        lambda: uprof("import", str(truncated), "--database-url", f"sqlite:///{existing}", env=_no_key(folder)),
    )
    for result in results:
        assert result.returncode == 1, result.stderr
        assert result.stderr.decode().endswith("uprof: import rejected; the database is unchanged\n")
    # No uprof.key and no new.db; the database that was there before is kept.
    assert sorted(path.name for path in folder.iterdir()) == before
    assert row_counts(f"sqlite:///{existing}")["organization"] == 0


def test_an_import_without_a_key_file_makes_one_as_it_commits(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    source, target = make_database(backend), make_database(backend)
    seed(source)
    file = tmp_path / "export.jsonl"
    file.write_bytes(export_of(source))
    folder = tmp_path / "target"
    folder.mkdir()
    imported = uprof("import", str(file), "--database-url", target, env=_no_key(folder))
    assert imported.returncode == 0, imported.stderr
    key_file = folder / "uprof.key"
    assert imported.stderr.decode().startswith(f"uprof: created the secret key file {key_file}: ")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    box = SecretBox([key_file.read_text().strip()])  # the secrets are sealed with the key in the file
    secrets = {
        record["signing_secret"] for record in records_of(file.read_bytes()) if record["kind"] == "webhook_endpoint"
    }
    assert {box.open(value) for value in stored_secrets(target)} >= secrets


# --- progress -------------------------------------------------------------------------------


def _on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """Run `uprof` with stderr on a pseudo-terminal and stdout on a pipe; return (code, stdout, terminal output)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "uprof", *args],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**base_environment(), "TERM": "xterm", "COLUMNS": "100", **(env or {})},
    )
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = selectors.select([controller], [], [], 30)
        try:
            chunk = os.read(controller, 65536) if ready else b""
        except OSError:  # the terminal closed: the command is done
            chunk = b""
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    stdout, _ = process.communicate(timeout=30)
    return process.returncode, stdout, shown


def _piped(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """Run `uprof` with stdout and stderr on pipes; return (code, stdout, stderr) like _on_a_terminal."""
    done = uprof(*args, env=env)
    return done.returncode, done.stdout, done.stderr


def test_a_progress_bar_is_drawn_only_on_a_terminal_and_can_be_turned_off(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    source, target = make_database(backend), make_database(backend)
    total = sum(seed(source).counts.values())
    file = tmp_path / "export.jsonl"

    drawn, plain, off, piped = run_all(
        lambda: _on_a_terminal("export", str(file), "--database-url", source),
        lambda: _on_a_terminal("export", str(tmp_path / "2.jsonl"), "--database-url", source, "--no-progress"),
        lambda: _on_a_terminal(
            "export", str(tmp_path / "3.jsonl"), "--database-url", source, env={"UPROF_PROGRESS": "off"}
        ),
        lambda: _piped("export", "--database-url", source, env={"UPROF_PROGRESS": "yes"}),
    )
    code, stdout, shown = drawn
    assert code == 0 and stdout == b""
    assert f"{total}/{total}".encode() in shown and b"records" in shown and b"\x1b[" in shown
    assert shown.rstrip().endswith(f"exported {total} records to {file}\r\n{SECRETS_WARNING}".encode())
    for (code, stdout, shown), name in zip((plain, off), ("2.jsonl", "3.jsonl"), strict=True):
        summary = f"exported {total} records to {tmp_path / name}\r\n{SECRETS_WARNING}\r\n"
        assert (code, stdout, shown) == (0, b"", summary.encode())
    # Not a terminal: only the summary, even when progress is asked for.
    assert piped[0] == 0 and piped[2] == f"exported {total} records to stdout\n{SECRETS_WARNING}\n".encode()

    code, _, shown = _on_a_terminal("import", str(file), "--database-url", target)
    size = file.stat().st_size
    assert code == 0 and b"importing" in shown and b"\x1b[" in shown, shown
    assert f"{size / 1000:.1f}/{size / 1000:.1f} kB".encode() in shown, shown
    assert shown.rstrip().endswith(f"imported {total} records".encode())


# --- migrating a live dataset to the other backend ------------------------------------------


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 503 while `failing` is set, then 204."""

    def __init__(self) -> None:
        self.failing = threading.Event()
        self.succeeded: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- the http.server hook's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = 503 if receiver.failing.is_set() else 204
                if status == 204:
                    receiver.succeeded.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks/uprof"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


class Clients:
    """A platform (standard key), an operator (admin key) and an end user (a browser without key) of one server."""

    def __init__(self, server: Server, keys: dict[str, str]) -> None:
        self.api = httpx.Client(base_url=server.url, headers={"x-api-key": keys["standard"]}, timeout=10)
        self.admin = httpx.Client(base_url=server.url, headers={"x-api-key": keys["admin"]}, timeout=10)
        self.browser = httpx.Client(base_url=server.url, timeout=10)

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *_: object) -> None:
        for client in (self.api, self.admin, self.browser):
            client.close()

    def profile(self, index: int) -> str:
        """A profile made under R1 (odd `index`) or GA (even)."""
        if index % 2:
            body: dict[str, Any] = {"name": f"Ada {index} ✓", "external_id": f"ext-{index}", "metadata": {"i": "x"}}
            return str(ok(self.api.post("/v1/user_profiles", json=body, headers=R1))["id"])
        details = {"country": "DE", "entity_type": "business", "onboarded_at": "2026-01-02T03:04:05.678901+02:00"}
        body = {"name": None, "access_type": "passthrough", "external_user_details": details}
        return str(ok(self.api.post("/v1/user_profiles", json=body, headers=GA))["id"])

    def operate(self, path: str, body: dict[str, Any]) -> Any:
        return ok(self.admin.post(path, json=body))

    def fill_form(self, link_path: str, body: dict[str, Any], suffix: str, fields: dict[str, Any]) -> None:
        """Create a link as the platform, then open it and post its form as the end user."""
        page = urlsplit(ok(self.api.post(link_path, json=body, headers=R1))["url"]).path
        csrf = csrf_of(self.browser.get(page))
        posted = self.browser.post(page + suffix, data={**fields, "program": "cyber", "csrf_token": csrf})
        assert posted.status_code == 200, posted.text

    def views(self, profiles: list[str]) -> dict[str, Any]:
        """What a migration must keep: the GA view and the operator's view of each profile."""
        views = {p: ok(self.api.get(f"/v1/user_profiles/{p}", headers=GA)) for p in profiles}
        views.update({f"admin {p}": ok(self.admin.get(f"/v1/admin/user_profiles/{p}")) for p in profiles})
        return views


@dataclass
class Story:
    signing_secret: str
    profiles: list[str]
    events: int


def tell_story(clients: Clients, receiver: Receiver) -> Story:
    """Every kind of data, made as the platform, the operator and an end user make it."""
    endpoint = {"url": receiver.url, "enabled_events": PROFILE_EVENTS, "name": "platform"}
    secret = ok(clients.admin.post("/v1/organizations/webhooks", headers=WEBHOOKS, json=endpoint))["signing_secret"]
    p = [clients.profile(index) for index in range(5)]
    clients.operate(f"/v1/admin/user_profiles/{p[0]}/programs/cyber", {"tiers": {"a": "active"}})
    clients.operate(
        f"/v1/admin/user_profiles/{p[1]}/programs/efs", {"status": "active", "features": {"cmek": "active"}}
    )
    restriction = {"type": "restriction", "reason": "unsupported_region", "verifiable": True, "note": "blocked"}
    clients.operate(f"/v1/admin/user_profiles/{p[1]}/enforcement_actions", restriction)
    clients.operate(f"/v1/admin/user_profiles/{p[2]}/enforcement_actions", {"type": "ban", "reason": "high_harm"})
    clients.fill_form(f"/v1/user_profiles/{p[3]}/enrollment_url", {}, "", VALID_APPLICATION)
    portal = {"action": {"type": "enroll_end_user"}}
    clients.fill_form(f"/v1/user_profiles/{p[1]}/action_urls", portal, "/verify", VALID_IDENTITY)
    # Events: cyber, efs, the restriction, the ban, the enrollment; an identity check emits none.
    return Story(secret, p, events=5)


def attempted(clients: Clients) -> int:
    """How many deliveries have had at least one attempt, by the delivery log."""
    deliveries = ok(clients.admin.get("/v1/admin/webhook_deliveries", params={"limit": 100}))["data"]
    return sum(1 for delivery in deliveries if delivery["attempt_count"] >= 1)


def _keys(url: str) -> dict[str, str]:
    def work(connection: Connection) -> dict[str, str]:
        revoked = accounts.create_key(connection, name="gone")
        accounts.revoke_key(connection, revoked.id)
        return {
            "admin": accounts.create_key(connection, name="operator", admin=True).key,
            "standard": accounts.create_key(connection, name="platform").key,
            "workspace": accounts.create_key(connection, name="team", workspace_id="wrkspc_team1").key,
            "revoked": revoked.key,
        }

    with opened(url) as database:
        return database.run(work, write=True)


def test_a_live_dataset_moves_to_the_other_backend_and_its_keys_keep_working(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    other = "postgresql" if backend_of(database_url) == "sqlite" else "sqlite"
    source = make_database(backend_of(database_url))
    keys = _keys(source)
    receiver = Receiver()
    receiver.failing.set()
    # Fast retries and a large budget: deliveries stay pending, retrying, until the receiver recovers.
    options, env = ("--webhook-max-attempts", "50"), {"UPROF_WEBHOOK_RETRY_BASE_SECONDS": "0.5"}
    file = tmp_path / "live.jsonl"
    try:
        server = start_server(source, *options, env=env)
        try:
            with Clients(server, keys) as clients:
                story = tell_story(clients, receiver)
                wait_until(
                    lambda: attempted(clients) == story.events, "a failed first attempt of every delivery", timeout=20
                )
                cursor = ok(clients.api.get("/v1/user_profiles", params={"limit": 2}, headers=GA))["next_page"]
                second_page = ok(clients.api.get("/v1/user_profiles", params={"limit": 2, "page": cursor}, headers=GA))
                views = clients.views(story.profiles)
            exported = uprof("export", str(file), "--database-url", source)  # while the server serves
            assert exported.returncode == 0, exported.stderr
        finally:
            stop_server(server)
        records = records_of(file.read_bytes())
        pending = [r for r in records if r["kind"] == "webhook_delivery" and r["status"] == "pending"]
        assert len(pending) == story.events and all(r["attempts"] for r in pending)

        # The new deployment has a secret key of its own: the import encrypts the secrets with it.
        target, target_key = make_database(other), {"UPROF_SECRET_KEY": OTHER_SECRET_KEY}
        imported = uprof("import", str(file), "--database-url", target, env=target_key)
        assert imported.returncode == 0, imported.stderr
        # The same bytes from the other backend: the file does not depend on where the data lived.
        again = uprof("export", "--database-url", target, env=target_key).stdout
        assert without_header(again) == without_header(file.read_bytes())

        receiver.failing.clear()
        server = start_server(target, *options, env={**env, **target_key})
        try:
            with Clients(server, keys) as clients:
                assert clients.views(story.profiles) == views
                assert ok(clients.api.get("/v1/user_profiles", params={"limit": 2, "page": cursor}, headers=GA)) == (
                    second_page
                )
                for key, status in (("workspace", 200), ("revoked", 401)):
                    listed = clients.browser.get("/v1/user_profiles", headers={"x-api-key": keys[key], **GA})
                    assert listed.status_code == status, key
                # The pending deliveries resume, and a new event is delivered too.
                waiting = {r["event_id"] for r in pending}

                def delivered() -> set[str]:
                    return {headers["webhook-id"] for headers, _ in receiver.succeeded}

                wait_until(lambda: waiting <= delivered(), "the pending deliveries to succeed", timeout=20)
                clients.operate(f"/v1/admin/user_profiles/{story.profiles[4]}/enforcement_actions", {
                    "type": "restriction", "reason": "unspecified"})  # fmt: skip
                wait_until(lambda: len(delivered()) == story.events + 1, "the new event", timeout=20)
        finally:
            stop_server(server)
        # Every delivery, old and new, is signed with the secret the endpoint's creation returned.
        for headers, body in receiver.succeeded:
            Webhook(story.signing_secret).verify(body, headers)
    finally:
        receiver.close()


# --- streaming ------------------------------------------------------------------------------

BULK = 100_000


def _bulk_profiles(url: str, count: int, first: int) -> None:
    """Profiles `first` … `first + count - 1`, with some metadata (about 800 bytes of export each).

    One INSERT … SELECT over a recursive counter, so the database makes the rows itself: a second
    or two for 100,000, on either backend.
    """
    metadata = {f"key{i}": "value-" + "x" * 40 for i in range(6)}
    numbers = select(literal(first, BigInteger).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < first + count - 1))
    number = cast(literal(10**17, BigInteger) + numbers.c.n, String)  # 18 digits: IDs sort as numbers
    columns = ("id", "organization_id", "name", "name_key", "access_type", "reference_id", "metadata")

    def work(connection: Connection) -> None:
        organization_id = connection.scalar(select(organization.c.id))
        if organization_id is None:
            organization_id = str(uuid.uuid4())
            connection.execute(insert(organization).values(id=organization_id, name="bulk", created_at=T0))
        rows = select(
            literal("uprof_") + number,
            literal(organization_id),
            literal("Profile ") + number,
            literal("profile ") + number,
            literal("application"),
            literal("ref-") + number,
            literal(metadata, JSON),
            literal(to_micros(T0), BigInteger),
            literal(to_micros(T0), BigInteger),
        )
        connection.execute(insert(user_profile).from_select([*columns, "created_at", "updated_at"], rows))

    with opened(url) as database:
        database.run(work, write=True)


def _bulk_enrollments(url: str, count: int, first: int) -> None:
    """An enrollment for one in ten of profiles `first` … `first + count - 1` (made by _bulk_profiles),
    each for a profile taken across the whole range, so that the import checks references to any of them."""
    numbers = select(literal(first, BigInteger).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.n + 10).where(numbers.c.n < first + count - 10))
    number = cast(literal(10**17, BigInteger) + numbers.c.n, String)
    spread = literal(first, BigInteger) + (numbers.c.n - first) * 7919 % count  # a prime step: all over the range
    profile = cast(literal(10**17, BigInteger) + spread, String)
    columns = ("id", "organization_id", "user_profile_id", "program", "status", "source", "requested", "use_case")

    def work(connection: Connection) -> None:
        rows = select(
            literal("enr_") + number,
            literal(connection.scalar(select(organization.c.id))),
            literal("uprof_") + profile,
            literal("cyber"),
            literal("pending"),
            literal("enrollment_url"),
            literal(["a"], JSON),
            literal("Red-team exercises"),
            literal(to_micros(T0), BigInteger),
        )
        connection.execute(insert(enrollment).from_select([*columns, "submitted_at"], rows))

    with opened(url) as database:
        database.run(work, write=True)


def _peak_rss_kib(*args: str) -> int:
    """The peak resident set size of `uprof ARGS`, measured by getrusage in a parent process of its own."""
    measure = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "-m", "uprof", *args, "--no-progress"]
    measured = subprocess.run(
        [sys.executable, "-c", measure, *command], capture_output=True, text=True, env=base_environment(), timeout=120
    )
    assert measured.returncode == 0, measured.stderr
    return int(measured.stdout.split()[-1])


def test_a_large_export_streams_in_flat_memory(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    url = make_database(backend_of(database_url))
    _bulk_profiles(url, 10, 0)
    small = _peak_rss_kib("export", str(tmp_path / "small.jsonl"), "--database-url", url)
    _bulk_profiles(url, BULK, 10)
    big_file = tmp_path / "big.jsonl"
    big = _peak_rss_kib("export", str(big_file), "--database-url", url)

    size = big_file.stat().st_size
    with big_file.open("rb") as exported:
        exported.seek(size - 1000)
        footer = json.loads(exported.read().splitlines()[-1])
    assert footer["counts"]["user_profile"] == BULK + 10
    # Holding the rows (or the output) in memory would cost far more than the file's 80 MB; a stream
    # costs one batch of rows and the output buffer whatever the size.
    assert size > 75_000_000
    assert big - small < 16 * 1024, f"peak RSS grew by {(big - small) / 1024:.1f} MiB for a {size / 1e6:.0f} MB export"


def test_a_large_import_streams_in_flat_memory(
    database_url: str, make_database: Callable[..., str], tmp_path: Path
) -> None:
    backend = backend_of(database_url)
    source, small_target, big_target = make_database(backend), make_database(backend), make_database(backend)
    small_file, big_file = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    _bulk_profiles(source, 10, 0)
    _bulk_enrollments(source, 10, 0)
    assert uprof("export", str(small_file), "--database-url", source).returncode == 0
    _bulk_profiles(source, BULK, 10)
    _bulk_enrollments(source, BULK, 10)
    assert uprof("export", str(big_file), "--database-url", source).returncode == 0

    small = _peak_rss_kib("import", str(small_file), "--database-url", small_target)
    big = _peak_rss_kib("import", str(big_file), "--database-url", big_target)

    counts = row_counts(big_target)
    assert (counts["user_profile"], counts["enrollment"]) == (BULK + 10, 1 + BULK // 10)
    # Keeping every profile ID (to check the enrollments' references to them) would cost about
    # 20 MB per 100,000 profiles; checking them against the rows written costs one batch at a time.
    size = big_file.stat().st_size
    assert big - small < 16 * 1024, f"peak RSS grew by {(big - small) / 1024:.1f} MiB for a {size / 1e6:.0f} MB import"
