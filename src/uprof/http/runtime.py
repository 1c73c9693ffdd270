"""What the app builds once at start-up and every request shares, and the one seam through which the
API, the pages and the console reach the database (`Runtime.step` and `Runtime.run`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection

from uprof.accounts.principals import PrincipalCache
from uprof.config import Settings
from uprof.crypto.sealing import SecretBox
from uprof.db.threads import DatabaseThreads
from uprof.db.unit_of_work import Database
from uprof.http.pagination import CursorCodec

T = TypeVar("T")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    database: Database
    cursors: CursorCodec
    secret_box: SecretBox  # seals and opens webhook signing secrets
    principals: PrincipalCache = field(init=False)
    # None on SQLite, whose units of work run on the event loop (http/endpoint.py).
    database_threads: DatabaseThreads | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "principals", PrincipalCache(self.database))
        threads = None if self.database.is_in_process else DatabaseThreads(self.database)
        object.__setattr__(self, "database_threads", threads)

    async def step(self, work: Callable[[], T]) -> T:
        """Run `work`, a synchronous step that may open units of work, where database work belongs.

        On SQLite, a library inside the process whose queries take microseconds, that is right here on
        the event loop (which keeps one connection for its lifetime): a hand-off to a thread would cost
        more than the step. On PostgreSQL, where every query is a network round trip, it is ONE trip to
        a database thread that keeps its own connection (db/threads.py).
        """
        if self.database_threads is None:
            return work()
        return await self.database_threads.run(work)

    async def run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Run `work` in one unit of work (db/unit_of_work.py), through `step`."""
        return await self.step(lambda: self.database.run(work, write=write))
