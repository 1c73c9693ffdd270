"""The files a server writes are its owner's alone: the SQLite database with its `-wal` and `-shm`
files, and the key file, are created with mode 0600 even under the usual umask of 022."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.e2e.conftest import start_server, stop_server


def test_a_new_sqlite_database_and_the_key_file_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "private.db"
    key_file = tmp_path / "private.key"
    previous = os.umask(0o022)
    try:
        server = start_server(f"sqlite:///{database}", "--secret-key-file", str(key_file), env={"UPROF_SECRET_KEY": ""})
    finally:
        os.umask(previous)
    try:
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), key_file]
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
    finally:
        stop_server(server)
    assert modes == {path.name: 0o600 for path in files}
