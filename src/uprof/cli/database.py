"""`uprof db upgrade` (docs/reference/cli.md §5)."""

from __future__ import annotations

import click

from uprof.cli.support import database_url_option, open_database
from uprof.db import migrate


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@database_url_option
def db_upgrade(database_url: str) -> None:
    """Apply pending migrations and print the revision the database is at."""
    database = open_database(database_url, create=True)
    click.echo(f"database is at revision {migrate.head_revision()}")
    database.engine.dispose()
