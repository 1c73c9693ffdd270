"""Where a SQLite URL points, checked before the database is opened: SQLite creates a missing file on
connect, so a command run from the wrong folder would quietly work on a new, empty database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from uprof.cli.sources import given_as
from uprof.db.engine import DatabaseUrlError, normalise_url

OPTION_HINT = "pass --database-url (or set UPROF_DATABASE_URL)"


def sqlite_path(database_url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL, an in-memory database or a URL that is not
    one: opening the database reports those)."""
    try:
        url = make_url(normalise_url(database_url))
    except (DatabaseUrlError, ValueError):
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri") or url.database.startswith("file:"):
        return None  # a SQLite URI filename: its own rules (mode=memory, …)
    return Path(url.database)


def missing_database(database_url: str) -> str | None:
    """Why a command that only reads or changes an existing database must not run: its SQLite file
    does not exist (None when it does, or the URL names no file)."""
    path = sqlite_path(database_url)
    if path is None or path.exists():
        return None
    return (
        f"no database at {path.absolute()} ({given_as('database_url', database_url)}): {OPTION_HINT} to name the"
        " database your server uses; `uprof serve` or `uprof db upgrade` creates a new one"
    )


def missing_folder(database_url: str) -> str | None:
    """Why a new SQLite database cannot be made: the folder it would live in does not exist."""
    path = sqlite_path(database_url)
    if path is None or path.exists() or path.absolute().parent.is_dir():
        return None
    folder = path.absolute().parent
    return (
        f"cannot create the database {path.absolute()}: the folder {folder} does not exist; create it"
        f" (mkdir -p {folder}) or {OPTION_HINT} to put the database elsewhere"
    )
