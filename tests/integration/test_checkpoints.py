"""WAL checkpoints on a background thread (uprof.db.checkpoints): on a SQLite file what commits append
to the log reaches the database file within a checkpoint interval, long before SQLite's own
1,000-page threshold would copy it; a database without a log (PostgreSQL) gets no thread."""

from __future__ import annotations

import os
import threading
import time

from sqlalchemy import text

from uprof.db.checkpoints import CHECKPOINT_INTERVAL_SECONDS, checkpoints_in_background
from uprof.db.unit_of_work import Database

ROWS = 40  # 40 × 4 KB: about 50 pages, far below the automatic checkpoint's 1,000


def _checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "uprof-checkpoints"]


def test_commits_reach_the_database_file_within_an_interval(empty_database: Database) -> None:
    database = empty_database
    with database.unit_of_work(write=True) as connection:
        connection.execute(text("CREATE TABLE checkpoint_probe (payload TEXT)"))
    path = database.engine.url.database if database.has_wal else None
    with database.connection_kept_for_this_thread(), checkpoints_in_background(database):
        assert len(_checkpoint_threads()) == (1 if database.has_wal else 0)
        before = os.path.getsize(path) if path else 0
        for _ in range(ROWS):
            with database.unit_of_work(write=True) as connection:
                connection.execute(text("INSERT INTO checkpoint_probe VALUES (:p)"), {"p": "x" * 4000})
        if path:
            deadline = time.monotonic() + 10 * CHECKPOINT_INTERVAL_SECONDS
            while os.path.getsize(path) < before + ROWS * 4000 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert os.path.getsize(path) >= before + ROWS * 4000
    assert _checkpoint_threads() == []
    with database.unit_of_work(write=False) as connection:
        assert connection.execute(text("SELECT count(*) FROM checkpoint_probe")).scalar() == ROWS
