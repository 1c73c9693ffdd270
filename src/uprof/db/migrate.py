"""Schema migrations: apply pending Alembic revisions, refuse databases from a newer uprof."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    with _migrating(database) as connection:
        current = current_revision(connection)
        if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
            raise NewerDatabaseError(f"database is at revision {current}, which this uprof does not know")
        if current != script.get_current_head():
            command.upgrade(alembic_config(connection), "head")
    return head_revision()


@contextmanager
def _migrating(database: Database) -> Iterator[Connection]:
    """The write transaction migrations run in.

    On SQLite it runs with foreign keys off, SQLite's own procedure for altering a table: Alembic's
    batch mode rebuilds the table (copy, drop, rename), and dropping it with foreign keys on would
    first delete every row that refers to it (ON DELETE CASCADE). `foreign_key_check` runs before
    the commit instead.
    """
    if not database.is_sqlite:
        with database.unit_of_work(write=True) as connection:
            yield connection
        return
    with database.engine.connect() as connection:
        # Outside any transaction (inside one it has no effect). pysqlite is in autocommit mode, so
        # commit() only ends the transaction SQLAlchemy began around the statement.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # as Database.unit_of_work begins
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"a migration left rows with dangling foreign keys: {broken[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def is_current(database: Database) -> bool:
    with database.unit_of_work(write=False) as connection:
        return current_revision(connection) == head_revision()
