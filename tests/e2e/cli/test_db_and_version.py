"""`uprof --version` and `uprof db upgrade` (docs/reference/cli.md §5), and the databases every command refuses: one
written by a newer uprof, an unreachable one, an unsupported one."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.cli.support import Call, run_all, scalar_rows, uprof
from tests.e2e.conftest import free_port
from uprof import __version__
from uprof.db import migrate
from uprof.db.engine import make_engine

FUTURE_REVISION = "2099_12_31_9999"


def execute(database_url: str, sql: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


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
    assert unreachable.stderr.startswith(
        "uprof: cannot connect to the database postgresql://postgres@127.0.0.1:1/uprof:"
    )
    assert "Connection refused" in unreachable.stderr and "DatabaseBusy" not in unreachable.stderr
    assert unreachable.stderr.endswith(
        "; check that PostgreSQL is running there and that --database-url (or UPROF_DATABASE_URL) names it\n"
    )
    assert unsupported.returncode == 2 and unsupported.stdout == ""
    assert "--database-url" in unsupported.stderr
