"""Schema migrations: apply pending Alembic revisions, refuse databases from a newer uprof."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from uprof.db.unit_of_work import Database

MIGRATIONS = Path(__file__).parent / "migrations"


class NewerDatabaseError(Exception):
    """The database was migrated by a newer uprof than the one running."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Database) -> str:
    """Apply every pending migration and return the revision the database is now at.

    Raises NewerDatabaseError if the database is at a revision this uprof does not know.
    """
    script = ScriptDirectory.from_config(alembic_config())
    with database.unit_of_work(write=True) as connection:
        current = current_revision(connection)
        if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
            raise NewerDatabaseError(f"database is at revision {current}, which this uprof does not know")
        if current != script.get_current_head():
            command.upgrade(alembic_config(connection), "head")
    return head_revision()


def is_current(database: Database) -> bool:
    with database.unit_of_work(write=False) as connection:
        return current_revision(connection) == head_revision()
