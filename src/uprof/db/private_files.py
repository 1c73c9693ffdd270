"""The SQLite database file is created readable by its owner only (mode 0600), like the key file.

It holds contact emails, identity-check names and the keys that sign cursors and console forms.
SQLite gives the `-wal` and `-shm` files it creates beside a database the database file's own
permissions, so creating the (empty, and so valid) database file first with mode 0600 makes all three
private. An existing file keeps the permissions it has: tighten it with `chmod 600`.
"""

from __future__ import annotations

import contextlib
import os

from sqlalchemy.engine import make_url

OWNER_ONLY = 0o600


def create_private_database_file(url: str) -> None:
    """Create the file of the SQLite database `url` with mode 0600 if it does not exist yet."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # A missing directory is left for SQLite to report, as it always has.
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
