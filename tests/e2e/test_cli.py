"""The `uprof` command (cli.md §1–§5), run as real subprocesses against real SQLite and PostgreSQL databases.

A CLI start costs about a second, so independent invocations run side by side (`run_all`), and
checks that need a running server share one start wherever the story allows.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text

from tests.databases import fresh_database
from tests.e2e.conftest import Server, Tenant, free_port, start_server
from tests.secret_keys import SECRET_KEY_ENVIRONMENT, TEST_SECRET_KEY
from uprof import __version__
from uprof.db import migrate
from uprof.db.engine import make_engine

STANDARD_KEY = re.compile(r"sk-uprof-[0-9A-Za-z]{48}")
ADMIN_KEY = re.compile(r"sk-uprof-admin-[0-9A-Za-z]{48}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SHORT_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
FIRST_START = re.compile(
    r"^uprof: first start — created admin API key (apikey_[0-9A-Za-z]{24}); it will not be shown again$", re.M
)
GA_HEADERS = {"anthropic-version": "2023-06-01"}
R1_HEADERS = {**GA_HEADERS, "anthropic-beta": "user-profiles-2026-03-24"}
FUTURE_REVISION = "2099_12_31_9999"


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


def table_rows(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    """`keys list` output split into cells (cells are separated by at least two spaces)."""
    assert result.returncode == 0, result.stderr
    return [re.split(r" {2,}", line.strip()) for line in result.stdout.splitlines()]


def scalar_rows(database_url: str, sql: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def execute(database_url: str, sql: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def profiles_status(url: str, key: str) -> int:
    """Status of `GET /v1/user_profiles` with `key`, on a fresh connection."""
    return httpx.get(f"{url}/v1/user_profiles", headers={"x-api-key": key, **GA_HEADERS}, timeout=10).status_code


# -- databases --------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched yet, on each backend in turn; a PostgreSQL one is dropped afterwards."""
    with fresh_database(request.param, tmp_path, migrated=False) as url:
        yield url


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


# -- §5 db upgrade, --version -----------------------------------------------------------------------


def test_version() -> None:
    result = uprof("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout.split()


def test_db_upgrade_reports_the_revision_and_is_idempotent(empty_database_url: str) -> None:
    expected = f"database is at revision {migrate.head_revision()}\n"
    first = uprof("db", "upgrade", "--database-url", empty_database_url)
    assert (first.returncode, first.stdout) == (0, expected), first.stderr
    assert scalar_rows(empty_database_url, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]

    execute(empty_database_url, "INSERT INTO server_secret (name, value) VALUES ('marker', 'kept')")
    again = uprof("db", "upgrade", "--database-url", empty_database_url)
    assert (again.returncode, again.stdout) == (0, expected), again.stderr
    assert scalar_rows(empty_database_url, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]
    assert scalar_rows(empty_database_url, "SELECT value FROM server_secret WHERE name = 'marker'") == [("kept",)]


def test_commands_refuse_a_database_from_a_newer_uprof(empty_database_url: str) -> None:
    assert uprof("db", "upgrade", "--database-url", empty_database_url).returncode == 0
    execute(empty_database_url, f"UPDATE alembic_version SET version_num = '{FUTURE_REVISION}'")
    url = ["--database-url", empty_database_url]
    serve, upgrade, create = run_all(
        [
            Call(["serve", "--port", str(free_port()), *url]),
            Call(["db", "upgrade", *url]),
            Call(["keys", "create", *url]),
        ]
    )
    for result in (serve, upgrade, create):
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert FUTURE_REVISION in result.stderr and "newer uprof" in result.stderr
    assert "listening on" not in serve.stderr
    # Nothing was written: no default organization, no bootstrap key, the stamp untouched.
    assert scalar_rows(empty_database_url, "SELECT count(*) FROM organization") == [(0,)]
    assert scalar_rows(empty_database_url, "SELECT count(*) FROM api_key") == [(0,)]
    assert scalar_rows(empty_database_url, "SELECT version_num FROM alembic_version") == [(FUTURE_REVISION,)]


def test_an_unreachable_or_unsupported_database() -> None:
    unreachable, unsupported = run_all(
        [
            Call(["keys", "list", "--database-url", "postgresql://postgres@127.0.0.1:1/uprof"]),
            Call(["keys", "list", "--database-url", "mysql://root@127.0.0.1/uprof"]),
        ]
    )
    assert unreachable.returncode == 1 and unreachable.stdout == ""
    assert "uprof: cannot use database" in unreachable.stderr
    assert unsupported.returncode == 2 and unsupported.stdout == ""
    assert "--database-url" in unsupported.stderr


# -- §2–§4 keys ---------------------------------------------------------------------------------------


def test_keys_create_list_and_revoke(empty_database_url: str) -> None:
    url = ["--database-url", empty_database_url]
    workspace = "wrkspc_" + "Ab1" * 21 + "Z"  # the longest allowed: 64 characters after the prefix
    long_name = "n" * 100

    # The first command migrates the empty database; the rest may then run side by side.
    standard = uprof("keys", "create", "--name", "billing service", *url)
    assert standard.returncode == 0, standard.stderr
    in_workspace, admin, named = run_all(
        [
            Call(["keys", "create", "--workspace", workspace, *url]),
            Call(["keys", "create", "--admin", "--name", "ops", *url]),
            Call(["keys", "create", "--name", long_name, *url]),
        ]
    )
    for result, pattern in [
        (standard, STANDARD_KEY),
        (in_workspace, STANDARD_KEY),
        (admin, ADMIN_KEY),
        (named, STANDARD_KEY),
    ]:
        assert result.returncode == 0, result.stderr
        assert pattern.fullmatch(result.stdout.removesuffix("\n")), result.stdout  # the key alone, one line
        assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    keys = {
        created_line(standard, "standard"): (standard.stdout.strip(), "billing service", "standard", None),
        created_line(in_workspace, f"workspace {workspace}"): (in_workspace.stdout.strip(), "", "workspace", workspace),
        created_line(admin, "admin"): (admin.stdout.strip(), "ops", "admin", None),
        created_line(named, "standard"): (named.stdout.strip(), long_name, "standard", None),
    }
    assert len({key for key, *_ in keys.values()}) == 4

    revoked_id = created_line(standard, "standard")
    first, unknown = run_all(
        [Call(["keys", "revoke", revoked_id, *url]), Call(["keys", "revoke", "apikey_" + "x" * 24, *url])]
    )
    assert first.returncode == 0, first.stderr
    assert "already" not in first.stdout
    assert unknown.returncode == 1 and unknown.stdout == ""

    again, active, everything, table = run_all(
        [
            Call(["keys", "revoke", revoked_id, *url]),
            Call(["keys", "list", "--json", *url]),
            Call(["keys", "list", "--all", "--json", *url]),
            Call(["keys", "list", "--all", *url]),
        ]
    )
    assert (again.returncode, again.stdout) == (0, f"{revoked_id} was already revoked\n"), again.stderr
    assert {row["id"] for row in json_lines(active)} == set(keys) - {revoked_id}

    listed = json_lines(everything)
    assert [row["id"] for row in listed] == [row[0] for row in table_rows(table)[1:]]
    assert {row["id"] for row in listed} == set(keys)
    assert [row["created_at"] for row in listed] == sorted((row["created_at"] for row in listed), reverse=True)
    assert listed[-1]["id"] == revoked_id  # created first, listed last
    for row in listed:
        key, name, kind, workspace_id = keys[row["id"]]
        assert set(row) == {"id", "name", "kind", "workspace_id", "hint", "created_at", "last_used_at", "revoked_at"}
        assert (row["name"], row["kind"], row["workspace_id"], row["hint"]) == (name, kind, workspace_id, key[-4:])
        assert TIMESTAMP.fullmatch(row["created_at"])
        assert row["last_used_at"] is None
        if row["id"] == revoked_id:
            assert TIMESTAMP.fullmatch(row["revoked_at"]) and row["revoked_at"] >= row["created_at"]
        else:
            assert row["revoked_at"] is None
    check_table(table, keys, revoked_id)
    for key, *_ in keys.values():
        for output in (active.stdout, everything.stdout, table.stdout):
            assert key[9:-4] not in output  # neither the key nor any part of it beyond the hint


def check_table(
    result: subprocess.CompletedProcess[str], keys: dict[str, tuple[str, str, str, str | None]], revoked_id: str
) -> None:
    header, *rows = table_rows(result)
    assert header == ["ID", "NAME", "KIND", "WORKSPACE", "KEY", "CREATED", "LAST USED", "REVOKED"]
    assert len(rows) == len(keys)
    for key_id, name, kind, workspace_id, hint, created, last_used, revoked in rows:
        key, expected_name, expected_kind, expected_workspace = keys[key_id]
        assert name == (expected_name or "-")
        assert (kind, workspace_id) == (expected_kind, expected_workspace or "-")
        assert hint == f"sk-uprof-…{key[-4:]}"  # every kind, admin keys too (cli.md §3)
        assert SHORT_TIMESTAMP.fullmatch(created)
        assert last_used == "-"
        assert SHORT_TIMESTAMP.fullmatch(revoked) if key_id == revoked_id else revoked == "-"


def test_keys_create_organization_creates_it_on_first_use(empty_database_url: str) -> None:
    url = ["--database-url", empty_database_url]
    acme_name = "Acme, Inc. — research"
    default = uprof("keys", "create", *url)
    first_acme = uprof("keys", "create", "--organization", acme_name, *url)
    second_acme, other = run_all(
        [
            Call(["keys", "create", "--organization", acme_name, *url]),
            Call(["keys", "create", "--organization", "b", *url]),
        ]
    )
    ids = {}
    for label, result in [("default", default), ("acme1", first_acme), ("acme2", second_acme), ("other", other)]:
        assert result.returncode == 0, result.stderr
        ids[label] = created_line(result, "standard")

    organizations = {
        name: (str(organization_id), bool(is_default))
        for organization_id, name, is_default in scalar_rows(
            empty_database_url, "SELECT id, name, is_default FROM organization"
        )
    }
    assert set(organizations) == {"default", acme_name, "b"}
    assert organizations["default"][1] and not organizations[acme_name][1] and not organizations["b"][1]
    for organization_id, _ in organizations.values():
        assert str(uuid.UUID(organization_id)) == organization_id
    owner = {
        key_id: str(organization_id)
        for key_id, organization_id in scalar_rows(empty_database_url, "SELECT id, organization_id FROM api_key")
    }
    assert owner[ids["default"]] == organizations["default"][0]
    assert owner[ids["acme1"]] == owner[ids["acme2"]] == organizations[acme_name][0]
    assert owner[ids["other"]] == organizations["b"][0]


def test_keys_create_rejects_bad_options_before_touching_the_database(tmp_path: Path) -> None:
    never = tmp_path / "never.db"
    url = ["--database-url", f"sqlite:///{never}"]
    cases = [
        (["--workspace", "wrkspc_"], "--workspace"),
        (["--workspace", "wrkspc_" + "a" * 65], "--workspace"),
        (["--workspace", "wrkspc_team-1"], "--workspace"),
        (["--workspace", "wrkspc_tëam"], "--workspace"),
        (["--workspace", "workspace_team"], "--workspace"),
        (["--admin", "--workspace", "wrkspc_team"], "--admin"),
        (["--name", "n" * 101], "--name"),
        (["--organization", ""], "--organization"),
    ]
    results = run_all([Call(["keys", "create", *args, *url]) for args, _ in cases], cwd=tmp_path)
    for (args, option), result in zip(cases, results, strict=True):
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "", args
        assert option in result.stderr, (args, result.stderr)
    assert not never.exists()
    assert list(tmp_path.iterdir()) == []


# -- a revoked key and a running server -------------------------------------------------------------


def test_a_revoked_key_is_refused_from_the_next_request(server: Server) -> None:
    url = ["--database-url", server.database_url]
    created = uprof("keys", "create", "--organization", f"cli-{uuid.uuid4()}", *url)
    assert created.returncode == 0, created.stderr
    key, key_id = created.stdout.strip(), created_line(created, "standard")
    with httpx.Client(base_url=server.url, headers={"x-api-key": key, **GA_HEADERS}, timeout=10) as http:
        assert http.get("/v1/user_profiles").status_code == 200  # also keeps a connection open across the revoke
        revoked = uprof("keys", "revoke", key_id, *url)
        assert revoked.returncode == 0, revoked.stderr
        response = http.get("/v1/user_profiles")
    assert response.status_code == 401
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "authentication_error"
    assert response.json()["error"]["message"] == "invalid API key"


# -- §1 serve ----------------------------------------------------------------------------------------


def test_first_start_prints_the_bootstrap_key_once_and_options_come_from_the_environment(
    empty_database_url: str, tmp_path: Path
) -> None:
    port, unused_port = free_port(), free_port()
    # A flag wins over its environment variable.
    first = launch(
        tmp_path / "first",
        port,
        "--port",
        str(port),
        "--database-url",
        empty_database_url,
        env={"UPROF_PORT": str(unused_port)},
    )
    try:
        key = first.stdout.removesuffix("\n")
        assert ADMIN_KEY.fullmatch(key), first.stdout
        assert first.stdout == key + "\n"
        announced = FIRST_START.search(first.stderr)
        assert announced, first.stderr
        bootstrap_id = announced.group(1)
        assert key not in first.stderr
        response = httpx.get(f"{first.url}/v1/user_profiles", headers={"x-api-key": key, **GA_HEADERS}, timeout=10)
        assert response.status_code == 200, response.text
        assert response.json() == {"data": [], "next_page": None}
    finally:
        assert first.stop(signal.SIGINT) == 0, first.stderr
    assert first.stdout == key + "\n"  # printed once, nothing added later

    listed = json_lines(uprof("keys", "list", "--json", "--database-url", empty_database_url))
    assert [(row["id"], row["name"], row["kind"], row["hint"]) for row in listed] == [
        (bootstrap_id, "bootstrap", "admin", key[-4:])
    ]
    assert uprof("keys", "revoke", bootstrap_id, "--database-url", empty_database_url).returncode == 0

    # Second start, every key revoked, configured only through UPROF_* variables.
    port = free_port()
    environment = {
        "UPROF_DATABASE_URL": empty_database_url,
        "UPROF_PORT": str(port),
        "UPROF_PUBLIC_BASE_URL": "https://uprof.example.com/",
    }
    second = launch(tmp_path / "second", port, env=environment)
    try:
        assert second.stdout == ""
        assert "first start" not in second.stderr
        assert f"listening on http://127.0.0.1:{port} (public base URL https://uprof.example.com)" in second.stderr
        assert profiles_status(second.url, key) == 401
        created = uprof("keys", "create", env={"UPROF_DATABASE_URL": empty_database_url})
        assert created.returncode == 0, created.stderr
        headers = {"x-api-key": created.stdout.strip(), **R1_HEADERS}
        with httpx.Client(base_url=second.url, headers=headers, timeout=10) as http:
            profile = http.post("/v1/user_profiles", json={"name": "Ada"})
            assert profile.status_code == 200, profile.text
            link = http.post(f"/v1/user_profiles/{profile.json()['id']}/enrollment_url", json={})
        assert link.status_code == 200, link.text
        assert re.fullmatch(r"https://uprof\.example\.com/enroll/[A-Za-z0-9_-]{43}", link.json()["url"])
    finally:
        assert second.stop() == 0, second.stderr
    assert second.stdout == ""
    assert listed_ids(empty_database_url, "--all") == {bootstrap_id, created_line(created, "standard")}


def listed_ids(database_url: str, *flags: str) -> set[str]:
    return {row["id"] for row in json_lines(uprof("keys", "list", "--json", *flags, "--database-url", database_url))}


def test_serve_rejects_bad_values_naming_the_option(tmp_path: Path) -> None:
    never = tmp_path / "never.db"
    url = ["--database-url", f"sqlite:///{never}"]
    cases = [
        (["--port", "0"], None, "--port"),
        ([], {"UPROF_PORT": "eighty"}, "--port"),
        (["--public-base-url", "ftp://uprof.example.com"], None, "--public-base-url"),
        (["--public-base-url", "https://uprof.example.com/?a=1"], None, "--public-base-url"),
        # Even empty: a link token appended after `?` would land in the query string.
        (["--public-base-url", "https://uprof.example.com?"], None, "--public-base-url"),
        (["--public-base-url", "https://uprof.example.com#"], None, "--public-base-url"),
        ([], {"UPROF_PUBLIC_BASE_URL": "https://ops:pa55word@uprof.example.com"}, "--public-base-url"),
        ([], {"UPROF_PUBLIC_BASE_URL": "/relative/path"}, "--public-base-url"),
        (["--workers", "0"], None, "--workers"),
        ([], {"UPROF_WORKERS": "65"}, "--workers"),
        ([], {"UPROF_WEBHOOK_ALLOW_HTTP": "maybe"}, "--webhook-allow-http"),
        # click alone would take these; cli.md lists 1, true, yes, on, 0, false, no, off.
        ([], {"UPROF_WEBHOOK_ALLOW_HTTP": "y"}, "--webhook-allow-http"),
        ([], {"UPROF_CONSOLE": "t"}, "--console"),
        ([], {"UPROF_METRICS": "n"}, "--metrics"),
    ]
    calls = [Call(["serve", *args, *url], env) for args, env, _ in cases]
    calls.append(Call(["serve", "--workers", "2", "--database-url", "sqlite:///:memory:"]))
    results = run_all(calls, cwd=tmp_path)
    for (args, env, option), result in zip([*cases, ([], None, "--workers")], results, strict=True):
        assert result.returncode == 2, (args, env, result.stderr)
        assert result.stdout == "", (args, env)
        assert option in result.stderr, (args, env, result.stderr)
        assert "listening on" not in result.stderr
    assert "in-memory" in results[-1].stderr
    assert list(tmp_path.iterdir()) == []  # validation comes before connecting
    assert not any("pa55word" in result.stderr for result in results)
    for result, (_, env, _) in zip(results, cases, strict=False):
        if env and any(name in env for name in ("UPROF_WEBHOOK_ALLOW_HTTP", "UPROF_CONSOLE", "UPROF_METRICS")):
            # The message lists exactly the spellings that are accepted.
            assert "use one of 1, true, yes, on, 0, false, no, off" in result.stderr, result.stderr
            assert "Recognized" not in result.stderr


# -- the secret key that encrypts webhook signing secrets ----------------------------------------------

NO_SECRET_KEY = {"UPROF_SECRET_KEY": ""}  # empty: unset, so the key file counts
PROGRAM_STATUS_UPDATED = "user_profile.program_status_updated"


def test_the_first_start_creates_the_key_file_in_the_working_directory(empty_database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "deployment"
    folder.mkdir()
    key_file = folder / "uprof.key"
    url = ["--database-url", empty_database_url]
    port = free_port()
    first = launch(tmp_path / "first", port, "--port", str(port), *url, env=NO_SECRET_KEY, cwd=folder)
    assert first.stop() == 0, first.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}=\n", key)
    [announced] = [line for line in first.stderr.splitlines() if "secret key file" in line]
    assert announced.startswith("uprof: created the secret key file ") and announced.endswith(
        "/deployment/uprof.key: it encrypts the webhook signing secrets, back it up with the database"
        " (they cannot be recovered without it)"
    )
    port = free_port()
    second = launch(tmp_path / "second", port, "--port", str(port), *url, env=NO_SECRET_KEY, cwd=folder)
    assert second.stop() == 0, second.stderr
    assert "secret key file" not in second.stderr and key_file.read_text() == key  # read, not replaced
    assert sorted(path.name for path in folder.iterdir()) == ["uprof.key"]


def test_serve_makes_no_new_key_for_a_database_with_encrypted_secrets(empty_database_url: str, tmp_path: Path) -> None:
    """Started from a folder without the key file, serve must not create a key that opens nothing."""
    first_folder, other_folder = tmp_path / "first", tmp_path / "elsewhere"
    first_folder.mkdir()
    other_folder.mkdir()
    url = ["--database-url", empty_database_url]
    port = free_port()
    first = launch(tmp_path / "first-run", port, "--port", str(port), *url, env=NO_SECRET_KEY, cwd=first_folder)
    try:
        admin_key = first.stdout.strip()
        created = httpx.post(
            f"{first.url}/v1/organizations/webhooks",
            headers={**GA_HEADERS, "x-api-key": admin_key, "anthropic-beta": "webhooks-2026-10-07"},
            json={
                "url": "https://receiver.example.com/hook",
                "enabled_events": ["user_profile.program_status_updated"],
            },
            timeout=10,
        )
        assert created.status_code == 200, created.text
    finally:
        assert first.stop() == 0, first.stderr
    [refused] = run_all([Call(["serve", "--port", str(free_port()), *url], NO_SECRET_KEY)], cwd=other_folder)
    assert refused.returncode == 2, refused.stderr
    assert "Invalid value for --secret-key-file" in refused.stderr
    assert "holds webhook signing secrets encrypted with a secret key" in refused.stderr
    assert "listening on" not in refused.stderr
    assert list(other_folder.iterdir()) == []  # no key file was made
    port = free_port()  # with the key it was made with, the same database serves again
    again = launch(tmp_path / "again", port, "--port", str(port), *url, env=NO_SECRET_KEY, cwd=first_folder)
    assert again.stop() == 0, again.stderr


def test_an_unusable_secret_key_is_a_usage_error(empty_database_url: str, tmp_path: Path) -> None:
    url = ["--database-url", empty_database_url]
    (tmp_path / "garbled.key").write_text("this is not a key\n")
    garbled = {**NO_SECRET_KEY, "UPROF_SECRET_KEY_FILE": str(tmp_path / "garbled.key")}
    serve = ["serve", "--port", str(free_port()), *url]
    cases = [
        (Call(serve, garbled), "--secret-key-file", "garbled.key is not a Fernet key"),
        (Call([*serve, "--secret-key", "c2hvcnQ="]), "--secret-key / UPROF_SECRET_KEY", "is not a Fernet key"),
        (
            Call(serve, {"UPROF_SECRET_KEY": f"{TEST_SECRET_KEY},nope"}),
            "--secret-key / UPROF_SECRET_KEY",
            "key 2 of the secret key",
        ),
        (Call(["webhooks", "dispatch", *url], NO_SECRET_KEY), "--secret-key-file", "uprof.key does not exist"),
        (Call(["export", *url], garbled), "--secret-key-file", "is not a Fernet key"),
        (Call(["import", "-", *url], garbled), "--secret-key-file", "is not a Fernet key"),
    ]
    results = run_all([call for call, _, _ in cases], cwd=tmp_path)
    for (call, option, problem), result in zip(cases, results, strict=True):
        assert result.returncode == 2, (call, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr, (call, result.stderr)
        assert f"Invalid value for {option}" in result.stderr and problem in result.stderr, (call, result.stderr)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["garbled.key"]  # no key file was made
    engine = make_engine(empty_database_url)
    try:
        assert inspect(engine).get_table_names() == []  # refused before the database was touched
    finally:
        engine.dispose()


def test_serve_accepts_the_documented_boolean_spellings() -> None:
    # An in-memory database with two workers is refused only after every option was accepted.
    spellings = ["TRUE", "on", "No"]
    memory = ["serve", "--workers", "2", "--database-url", "sqlite:///:memory:"]
    results = run_all([Call(memory, {"UPROF_WEBHOOK_ALLOW_HTTP": value}) for value in spellings])
    for value, result in zip(spellings, results, strict=True):
        assert result.returncode == 2, value
        assert "in-memory" in result.stderr and "--webhook-allow-http" not in result.stderr, (value, result.stderr)


def test_serve_exits_1_when_the_port_is_taken(database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        serve = ["serve", "--port", port, "--database-url", database_url]
        json_logs = ["--log-format", "json"]
        results = run_all(
            [
                Call(serve),
                Call([*serve, "--workers", "2"]),
                Call([*serve, *json_logs]),
                Call([*serve, "--workers", "2", *json_logs]),
            ]
        )
    for result in results:
        assert result.returncode == 1, result.stderr
        assert "listening on" not in result.stderr  # said only once the socket is bound
    for result in results[2:]:  # uvicorn's bind error and uprof's own line are log records too
        records = [json.loads(line) for line in result.stderr.splitlines()]
        assert any("address already in use" in record["message"].lower() for record in records), records
        assert records[-1]["level"] == "error" and records[-1]["message"].startswith(
            f"cannot serve on 127.0.0.1:{port}"
        )


def test_serve_on_an_in_memory_database(tmp_path: Path) -> None:
    """cli.md §1.2: migrations, the bootstrap key and the server share one in-memory database."""
    port = free_port()
    running = launch(
        tmp_path / "memory", port, "--port", str(port), "--database-url", "sqlite:///:memory:", cwd=tmp_path
    )
    try:
        key = running.stdout.removesuffix("\n")
        assert ADMIN_KEY.fullmatch(key), running.stdout
        with httpx.Client(base_url=running.url, headers={"x-api-key": key, **R1_HEADERS}, timeout=10) as http:
            created = http.post("/v1/user_profiles", json={"name": "Ada"})
            assert created.status_code == 200, created.text
            read = http.get(f"/v1/user_profiles/{created.json()['id']}")
            assert read.status_code == 200, read.text
            assert read.json()["name"] == "Ada"
            assert [profile["id"] for profile in http.get("/v1/user_profiles").json()["data"]] == [created.json()["id"]]
    finally:
        assert running.stop() == 0, running.stderr
    assert "Traceback" not in running.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "memory"]  # no database file was made


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


def test_two_workers_serve_and_stop_on_sigterm(database_url: str, tenant: Tenant, tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"  # where the workers' metrics directory is made
    temporary.mkdir()
    running = start_server(database_url, "--workers", "2", env={"TMPDIR": str(temporary)})
    try:
        assert [path.name.startswith("uprof-metrics-") for path in temporary.iterdir()] == [True]
        assert [profiles_status(running.url, tenant.key) for _ in range(8)] == [200] * 8
        assert_upgrade_served_as_http(running.url, tenant.key)
        revoked = uprof("keys", "revoke", tenant.key_id, "--database-url", database_url)
        assert revoked.returncode == 0, revoked.stderr
        # Fresh connections land on either worker; every one of them refuses the key at once.
        assert [profiles_status(running.url, tenant.key) for _ in range(8)] == [401] * 8
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=30) == 0, running.output()
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
    assert list(temporary.iterdir()) == []  # the metrics directory is removed on the way out
    port = int(running.url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # lingering TIME_WAIT is fine, a listener is not
        probe.bind(("127.0.0.1", port))  # no worker is left holding the port
