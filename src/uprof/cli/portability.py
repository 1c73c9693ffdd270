"""`uprof export` and `uprof import` (docs/reference/cli.md §6-7): the work is in uprof.portability, imported when
needed."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from uprof.cli.support import (
    ENVIRONMENT_BOOLEAN,
    announce_key_file,
    database_url_option,
    fail,
    in_transaction,
    key_given,
    open_database,
    open_secret_box,
    say,
    secret_key_file_option,
    secret_key_option,
)
from uprof.config import Settings
from uprof.crypto.key_file import BoxOnDemand, NewKeyFile, SecretKeyError
from uprof.db.unit_of_work import Database, DatabaseBusy
from uprof.webhooks import service as webhook_endpoints

progress_option = click.option(
    "--no-progress",
    "progress",
    flag_value=False,
    default=True,
    envvar="UPROF_PROGRESS",
    type=ENVIRONMENT_BOOLEAN,
    help="Draw no progress bar (one is drawn on stderr only when it is a terminal).",
)


@click.command("export", short_help="Write the whole database as JSON Lines.")
@click.argument("file", required=False, default="-", type=click.Path(dir_okay=False, allow_dash=True))
@database_url_option
@secret_key_option
@secret_key_file_option
@progress_option
def export_command(file: str, database_url: str, secret_key: str | None, secret_key_file: str, progress: bool) -> None:
    """Write the whole database as JSON Lines to FILE (stdout when FILE is absent or -).

    Reads one consistent snapshot, so it may run while servers are serving. The file holds key
    hashes and the webhook signing secrets, decrypted with the server's secret key (needed only when
    the database holds encrypted signing secrets): treat it as a secret.
    """
    from uprof.crypto.sealing import SecretUnreadable
    from uprof.portability import export
    from uprof.portability.progress import wanted

    settings = Settings(database_url=database_url, secret_key=secret_key, secret_key_file=secret_key_file)
    # Without a key the export still runs: only a sealed signing secret needs one (exit 1 then).
    box = open_secret_box(settings, create=False) if key_given(settings) else BoxOnDemand(settings)
    database = open_database(database_url)
    try:
        if isinstance(box, BoxOnDemand) and in_transaction(database, webhook_endpoints.holds_sealed_secrets):
            box.load()  # now, before a line is written: stdout cannot be taken back
        count = export.export_to(database, file, box, show_progress=wanted(progress))
    except SecretUnreadable as error:
        fail(f"export failed: {error}; give the secret key the server uses")
    except SecretKeyError as error:
        fail(f"export failed: a webhook signing secret is encrypted, and {error}")
    except (SQLAlchemyError, DatabaseBusy, OSError) as error:
        fail(f"export failed: {getattr(error, 'orig', error)}")
    finally:
        database.engine.dispose()
    where = "stdout" if file == "-" else file
    click.echo(f"exported {count} records to {where}", err=True)
    say(
        "the export holds API key hashes and webhook signing secrets in the clear: keep it as private as the"
        " database, and out of version control"
    )


@click.command("import", short_help="Load an export into an empty database.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@database_url_option
@secret_key_option
@secret_key_file_option
@progress_option
def import_command(file: str, database_url: str, secret_key: str | None, secret_key_file: str, progress: bool) -> None:
    """Load FILE, written by `uprof export` (- for stdin), into an empty database: all or nothing.

    IDs, timestamps, key hashes and signing secrets are kept, so existing keys keep working. The
    signing secrets are encrypted with the secret key of the server that will serve the database.
    A rejected import leaves nothing behind: no key file, and no database file that it created.
    """
    from uprof.portability.importer import ImportRejected, TargetNotEmpty, import_from, new_sqlite_files
    from uprof.portability.progress import wanted

    settings = Settings(database_url=database_url, secret_key=secret_key, secret_key_file=secret_key_file)
    # A missing key file gets a new key, written only when the import is about to commit.
    new_key = None if key_given(settings) else NewKeyFile(Path(settings.secret_key_file))
    box = open_secret_box(settings, create=False) if new_key is None else new_key.box()
    new_files = new_sqlite_files(database_url)
    database = open_database(database_url, create=True)
    before_commit = None if new_key is None else new_key.write
    problem = None
    try:
        count = import_from(database, file, box, show_progress=wanted(progress), before_commit=before_commit)
    except ImportRejected as error:
        click.echo(str(error), err=True)
        problem = "import rejected; the database is unchanged"
    except TargetNotEmpty as error:
        problem = (
            f"import rejected: {error}; import into a database without data: a SQLite file that does not"
            " exist yet (import creates it) or an empty PostgreSQL database"
        )
    except SecretKeyError as error:
        problem = f"import failed, the database is unchanged: {error}"
    except (SQLAlchemyError, DatabaseBusy, OSError) as error:
        problem = f"import failed, the database is unchanged: {getattr(error, 'orig', error)}"
    finally:
        if new_files and not _still_empty(database):
            new_files = []  # another process has begun to use the new database meanwhile: it stays
        database.engine.dispose()
    if problem is not None:
        if new_key is not None:
            new_key.remove()
        for path in new_files:
            path.unlink(missing_ok=True)
        fail(problem)
    if new_key is not None:
        announce_key_file(new_key.path.absolute())
    click.echo(f"imported {count} records", err=True)


def _still_empty(database: Database) -> bool:
    """Whether the database holds no data (a failed import left none; a server started on it would have)."""
    from uprof.portability.importer import occupied_tables

    try:
        return not database.run(occupied_tables, write=False)
    except (SQLAlchemyError, DatabaseBusy):
        return False
