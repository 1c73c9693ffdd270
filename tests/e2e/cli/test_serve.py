"""`uprof serve` (docs/reference/cli.md §1): the first start and its bootstrap key, options from flags and `UPROF_*`
variables, bad values, a port already taken, the interface bound, an in-memory database and two workers."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.cli.support import (
    ADMIN_KEY,
    FIRST_START,
    GA_HEADERS,
    Call,
    assert_upgrade_served_as_http,
    base_environment,
    created_line,
    json_lines,
    launch,
    run_all,
    uprof,
)
from tests.e2e.conftest import Tenant, free_port, start_server

R1_HEADERS = {**GA_HEADERS, "anthropic-beta": "user-profiles-2026-03-24"}


def profiles_status(url: str, key: str) -> int:
    """Status of `GET /v1/user_profiles` with `key`, on a fresh connection."""
    return httpx.get(f"{url}/v1/user_profiles", headers={"x-api-key": key, **GA_HEADERS}, timeout=10).status_code


def says_it_stopped(stderr: str, signal_name: str) -> bool:
    """A stop prints the signal it got and, last of all, that the server stopped (a request that was in
    flight may log its line between the two)."""
    lines = stderr.splitlines()
    received = f"uprof: received {signal_name}: stopping once the requests in flight are done"
    return lines[-1] == "uprof: stopped" and received in lines[:-1]


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
    assert says_it_stopped(first.stderr, "SIGINT"), first.stderr

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
    assert says_it_stopped(second.stderr, "SIGTERM"), second.stderr
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
        # click alone would take these; docs/cli.md lists 1, true, yes, on, 0, false, no, off.
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


def test_serve_accepts_the_documented_boolean_spellings() -> None:
    # An in-memory database with two workers is refused only after every option was accepted.
    spellings = ["TRUE", "on", "No"]
    memory = ["serve", "--workers", "2", "--database-url", "sqlite:///:memory:"]
    results = run_all([Call(memory, {"UPROF_WEBHOOK_ALLOW_HTTP": value}) for value in spellings])
    for value, result in zip(spellings, results, strict=True):
        assert result.returncode == 2, value
        assert "in-memory" in result.stderr and "--webhook-allow-http" not in result.stderr, (value, result.stderr)


def test_serve_exits_1_when_the_port_is_taken(database_url: str) -> None:
    """The line names --port and, when the port came from there, UPROF_PORT; uvicorn's Errno 98 never shows."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        serve = ["serve", "--port", port, "--database-url", database_url]
        json_logs = ["--log-format", "json"]
        calls = [
            Call(serve),
            Call([*serve, "--workers", "2"]),
            Call(serve[:1] + serve[3:], {"UPROF_PORT": port}),
            Call([*serve, *json_logs]),
            Call([*serve, "--workers", "2", *json_logs]),
        ]
        results = run_all(calls)
    said = (
        f"cannot listen on 127.0.0.1:{port}: another program (perhaps another uprof) is using port {port}; stop it,"
        " or choose a free port with --port or UPROF_PORT (now {given})"
    )
    for result in results:
        assert result.returncode == 1, result.stderr
        assert "listening on" not in result.stderr  # said only once the socket is bound
        assert "Errno" not in result.stderr and "error above" not in result.stderr, result.stderr
    for result, given in zip(results[:3], [f"--port {port}"] * 2 + [f"UPROF_PORT={port}"], strict=True):
        assert result.stderr == f"uprof: {said.format(given=given)}\n"
    for result in results[3:]:  # uprof's line is a log record too
        [record] = [json.loads(line) for line in result.stderr.splitlines()]
        assert (record["level"], record["message"]) == ("error", said.format(given=f"--port {port}"))


def test_serve_on_an_in_memory_database(tmp_path: Path) -> None:
    """docs/reference/cli.md §1.2: migrations, the bootstrap key and the server share one in-memory database."""
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
        assert says_it_stopped(running.output(), "SIGTERM"), running.output()
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
    assert list(temporary.iterdir()) == []  # the metrics directory is removed on the way out
    port = int(running.url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # lingering TIME_WAIT is fine, a listener is not
        probe.bind(("127.0.0.1", port))  # no worker is left holding the port


def wait_healthy(url: str, running: subprocess.Popen[bytes], stderr: Path) -> None:
    """Until `url`/healthz answers 200; fails if the server exits first or takes over 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert running.poll() is None, stderr.read_text(encoding="utf-8")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"uprof serve did not become healthy at {url}")


@pytest.mark.parametrize(("host", "reached_at"), [("127.0.0.2", "127.0.0.2"), ("0.0.0.0", "127.0.0.1")])
def test_uprof_host_chooses_the_interface_and_the_default_public_base_url(
    host: str, reached_at: str, tmp_path: Path
) -> None:
    """docs/reference/cli.md §1: `UPROF_HOST` is the interface bound and announced; the public base URL defaults to it,
    with `0.0.0.0` shown as 127.0.0.1."""
    port = free_port()
    database = ["--database-url", f"sqlite:///{tmp_path / 'uprof.db'}"]
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        running = subprocess.Popen(
            [sys.executable, "-m", "uprof", "serve", "--port", str(port), *database],
            stdout=out,
            stderr=err,
            env={**base_environment(), "UPROF_HOST": host},
            cwd=tmp_path,
        )
    try:
        url = f"http://{reached_at}:{port}"
        wait_healthy(url, running, stderr)
        announced = stderr.read_text(encoding="utf-8")
        assert f"listening on http://{host}:{port} (public base URL {url})" in announced, announced
        if host == "127.0.0.2":  # bound to that interface only
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        headers = {"x-api-key": stdout.read_text(encoding="utf-8").strip(), **R1_HEADERS}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
            profile = http.post("/v1/user_profiles", json={"name": "Ada"})
            assert profile.status_code == 200, profile.text
            link = http.post(f"/v1/user_profiles/{profile.json()['id']}/enrollment_url", json={})
        assert link.status_code == 200, link.text
        assert link.json()["url"].startswith(f"{url}/enroll/")
    finally:
        running.terminate()
        try:
            assert running.wait(timeout=20) == 0, stderr.read_text(encoding="utf-8")
        except subprocess.TimeoutExpired:
            running.kill()
            running.wait()
            raise
