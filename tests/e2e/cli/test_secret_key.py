"""The secret key that encrypts webhook signing secrets: the key file made on the first start, the
refusal to make a new key for a database that already holds encrypted secrets, and unusable keys."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
from sqlalchemy import inspect

from tests.e2e.cli.support import GA_HEADERS, NO_SECRET_KEY, Call, launch, run_all
from tests.e2e.conftest import free_port
from tests.secret_keys import TEST_SECRET_KEY
from uprof.db.engine import make_engine


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
    made = sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith("uprof-"))  # the database
    assert made == ["garbled.key"]  # no key file was made
    engine = make_engine(empty_database_url)
    try:
        assert inspect(engine).get_table_names() == []  # refused before the database was touched
    finally:
        engine.dispose()
