"""The in-process signal that wakes a dispatcher right after a commit that queued deliveries.

A unit of work that stores deliveries marks its connection (`note_new_work`). The mark lives in
the connection's `info`; the Database calls its end listeners once the unit's transaction has
ended — after the commit, so the dispatcher woken then finds the rows. A rolled-back transaction
wakes it for nothing, which costs one empty poll.
Other processes are not signalled; their dispatchers find the work on their next poll.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from uprof.db.unit_of_work import Database

_MARK = "uprof.webhooks.new_work"


def note_new_work(connection: Connection) -> None:
    """Wake this process's dispatcher once the current transaction has ended."""
    connection.info[_MARK] = True


class WakeOnCommit:
    """Calls `wake` (from whichever thread ran the unit of work) after each marked transaction."""

    def __init__(self, database: Database, wake: Callable[[], None]) -> None:
        self._database = database
        self._wake = wake

    def _on_end(self, info: dict[Any, Any]) -> None:
        if info.pop(_MARK, False):
            self._wake()

    def install(self) -> None:
        self._database.add_end_listener(self._on_end)

    def remove(self) -> None:
        self._database.remove_end_listener(self._on_end)
