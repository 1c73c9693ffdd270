"""The in-process signal that wakes a dispatcher right after a commit that queued deliveries.

A unit of work that stores deliveries marks its connection (`note_new_work`). The mark lives in
the pooled connection's `info`, and the pool's `checkin` event fires only once the transaction
has ended and the connection is handed back — after the commit, so the dispatcher woken then
finds the rows. A rolled-back transaction wakes it for nothing, which costs one empty poll.
Other processes are not signalled; their dispatchers find the work on their next poll.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event

_MARK = "uprof.webhooks.new_work"


def note_new_work(connection: Connection) -> None:
    """Wake this process's dispatcher once the current transaction has ended."""
    connection.info[_MARK] = True


class WakeOnCommit:
    """Calls `wake` (from whichever thread returns the connection) after each marked transaction."""

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        self._engine = engine
        self._wake = wake

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_MARK, False):
            self._wake()

    def install(self) -> None:
        event.listen(self._engine, "checkin", self._on_checkin)

    def remove(self) -> None:
        if event.contains(self._engine, "checkin", self._on_checkin):
            event.remove(self._engine, "checkin", self._on_checkin)
