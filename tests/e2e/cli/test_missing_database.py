"""A SQLite database that is not there: commands that only read or change a database refuse it and
name the option, instead of quietly working on a new empty file; the commands that may create one
say what to do when its folder is missing; a failed first start leaves no database behind."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli.support import NO_SECRET_KEY, Call, run_all, uprof
from tests.e2e.conftest import free_port

DATA_COMMANDS = [
    ["keys", "list"],
    ["keys", "create", "--name", "dev"],
    ["keys", "revoke", "apikey_000000000000000000000000"],
    ["export"],
    ["webhooks", "dispatch"],
]
HINT = "pass --database-url (or set UPROF_DATABASE_URL) to name the database your server uses"


def test_data_commands_refuse_a_database_file_that_does_not_exist(tmp_path: Path) -> None:
    calls = [Call(args) for args in DATA_COMMANDS]  # the default URL, sqlite:///./uprof.db
    calls += [Call([*args, "--database-url", "sqlite:///elsewhere.db"]) for args in DATA_COMMANDS[:2]]
    calls += [Call(DATA_COMMANDS[0], {"UPROF_DATABASE_URL": "sqlite:///from-env.db"})]
    results = run_all(calls, cwd=tmp_path)
    for call, result in zip(calls, results, strict=True):
        assert result.returncode == 1, (call, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr, (call, result.stderr)
        assert HINT in result.stderr and "`uprof serve` or `uprof db upgrade` creates a new one" in result.stderr
    default, *_, elsewhere, _, from_env = (result.stderr for result in results)
    assert f"no database at {tmp_path}/uprof.db (the default --database-url sqlite:///./uprof.db)" in default
    assert f"no database at {tmp_path}/elsewhere.db (--database-url sqlite:///elsewhere.db)" in elsewhere
    assert f"no database at {tmp_path}/from-env.db (UPROF_DATABASE_URL=sqlite:///from-env.db)" in from_env
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_commands_that_create_a_database_name_a_missing_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/uprof.db"
    export = tmp_path / "empty.jsonl"
    export.write_text("")
    calls = [
        Call(["db", "upgrade", "--database-url", url]),
        Call(["import", str(export), "--database-url", url]),
        Call(["serve", "--port", str(free_port()), "--database-url", url]),
    ]
    for call, result in zip(calls, run_all(calls, cwd=tmp_path), strict=True):
        assert result.returncode == 1, (call, result.stderr)
        assert (
            f"cannot create the database {tmp_path}/missing/uprof.db: the folder {tmp_path}/missing does not"
            f" exist; create it (mkdir -p {tmp_path}/missing)" in result.stderr
        ), (call, result.stderr)
        assert "unable to open database file" not in result.stderr and "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.jsonl"]


def test_a_first_start_whose_key_file_cannot_be_made_leaves_no_database(tmp_path: Path) -> None:
    unwritable = tmp_path / "no-such-folder" / "uprof.key"
    refused = uprof(
        "serve", "--port", str(free_port()), "--secret-key-file", str(unwritable), env=NO_SECRET_KEY, cwd=tmp_path
    )
    assert refused.returncode == 2, refused.stderr
    assert "Invalid value for --secret-key-file" in refused.stderr and "cannot create the key file" in refused.stderr
    assert refused.stdout == ""  # no admin key was made
    assert list(tmp_path.iterdir()) == []  # neither uprof.db nor its -wal/-shm files stay
