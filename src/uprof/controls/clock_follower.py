"""Each server process follows the shared virtual clock (docs/testing.md §4) with --test-controls:
requests catch it up as they arrive (hook.py), and this task catches it up between them, so that the
background work (webhook retries, action expiry) acts on an advanced clock within a second even in
a worker that no request reached."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from uprof.controls import service
from uprof.db.unit_of_work import Database

log = logging.getLogger("uprof.controls")

FOLLOW_INTERVAL = 0.25


@contextlib.asynccontextmanager
async def following(database: Database, *, on: bool) -> AsyncIterator[None]:
    """While the block runs, and only when `on`, re-read the shared clock every FOLLOW_INTERVAL."""
    if not on:
        yield
        return
    task = asyncio.create_task(_follow(database))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _follow(database: Database) -> None:
    while True:
        try:
            await asyncio.to_thread(database.run, service.refresh_clock, write=False)
        except Exception:  # the database may be briefly unavailable; the next look tries again
            log.exception("reading the test clock failed")
        await asyncio.sleep(FOLLOW_INTERVAL)
