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

from uprof.db import folded
from uprof.db.engine import DATABASE_THREADS
from uprof.db.unit_of_work import Database

T = TypeVar("T")

# At shutdown, how long a request's database work may still run before the process stops without it.
SHUTDOWN_GRACE_SECONDS = 10.0


class DatabaseThreads:
    def __init__(self, database: Database, count: int = DATABASE_THREADS) -> None:
        self._database = database
        self._count = count
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` on one of the threads and wait for its result (or exception). It runs as a step
        (`folded.in_step`): a check it queues travels with its next statement."""
        if self._executor is None:  # threads start on first use (again after a stop)
            self._executor = ThreadPoolExecutor(
                self._count,
                thread_name_prefix="uprof-database",
                initializer=self._database.keep_connection_for_this_thread,
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, folded.in_step, work)

    async def stop(self) -> None:
        """Stop the threads without blocking the event loop: work not yet started is cancelled, work
        under way gets SHUTDOWN_GRACE_SECONDS (a query stuck on an unreachable database does not hold
        the process), then the threads' connections go back to the pool."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        executor.shutdown(wait=False, cancel_futures=True)
        finished = asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)
        try:
            await asyncio.wait_for(finished, SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            return
        self._database.release_kept_connections()
