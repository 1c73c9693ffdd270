"""SQLite's WAL checkpoints, done mostly on a thread of their own.

A checkpoint copies what commits appended to the write-ahead log back into the database file and
fsyncs it. SQLite runs one inside whichever commit finds the log past 1,000 pages; inside a commit
on the event loop, which runs every API request on SQLite, that stalled every request in flight
for as long as the disk took: twice in a run of 15,000 creates, for 172 and 182 ms
(docs/performance.md). This thread checkpoints every CHECKPOINT_INTERVAL_SECONDS in SQLite's
PASSIVE mode, which waits for no reader or writer and leaves the GIL free while SQLite copies and
syncs, so the commit that reaches the threshold finds little left to copy or sync.

That commit's own checkpoint stays: it is the one that completes while no other commit appends,
and only a complete checkpoint lets the next commit start the log over. With it switched off
(`wal_autocheckpoint = 0`) the background checkpoints never caught up under constant writes and
the log grew past 1 GB in one benchmark run. Durability does not change: a commit is durable once
it is in the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from uprof.db.prepared import execute_on_driver
from uprof.db.unit_of_work import Database

CHECKPOINT_INTERVAL_SECONDS = 0.5

log = logging.getLogger("uprof.database")


@contextmanager
def checkpoints_in_background(database: Database) -> Iterator[None]:
    """While the block runs, a background thread checkpoints the database's write-ahead log every
    CHECKPOINT_INTERVAL_SECONDS. Nothing runs for a database without one (PostgreSQL, in-memory)."""
    if not database.has_wal:
        yield
        return
    stop = threading.Event()
    worker = threading.Thread(target=_checkpoint_until, args=(database, stop), name="uprof-checkpoints", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()
        _checkpoint(database)  # what the last interval appended


def _checkpoint_until(database: Database, stop: threading.Event) -> None:
    while not stop.wait(CHECKPOINT_INTERVAL_SECONDS):
        _checkpoint(database)


def _checkpoint(database: Database) -> None:
    try:
        with database.engine.connect() as connection:
            execute_on_driver(connection, "PRAGMA wal_checkpoint(PASSIVE)")
    except Exception:  # the next interval tries again; commits never depend on a checkpoint
        log.warning("WAL checkpoint failed", exc_info=True)
