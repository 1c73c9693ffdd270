"""The threads that run API requests' units of work on a networked database (PostgreSQL).

A query there is a network round trip, which blocks its thread: the event loop hands each request's
synchronous step to one of a fixed set of threads (http/endpoint.py). Each thread keeps one
connection for its lifetime (`Database.keep_connection_for_this_thread`), so a request neither
checks one out of the pool nor pings it first; at most DATABASE_THREADS requests use the database
at once, and the pool holds that many connections plus room for pages, the console and webhooks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from uprof.db.engine import DATABASE_THREADS
from uprof.db.unit_of_work import Database

T = TypeVar("T")


class DatabaseThreads:
    def __init__(self, database: Database, count: int = DATABASE_THREADS) -> None:
        self._database = database
        # Threads start on first use; each keeps its connection from then on.
        self._executor = ThreadPoolExecutor(
            count, thread_name_prefix="uprof-database", initializer=database.keep_connection_for_this_thread
        )

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` on one of the threads and wait for its result (or exception)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        """Finish the work already handed over, stop the threads and give back their connections."""
        self._executor.shutdown(wait=True)
        self._database.release_kept_connections()
