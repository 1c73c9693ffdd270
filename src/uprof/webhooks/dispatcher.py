"""The webhook dispatcher: one per server worker (or `uprof webhooks dispatch`), delivering due deliveries.

It polls every second, and at once when this process commits new work (wakeup.py). Each claimed
delivery is attempted in its own task, up to MAX_IN_FLIGHT at a time and up to
`--webhook-max-per-organization` of one organization (so endpoints that hang cost their own
organization its slots, not everyone's); the outcome is recorded in its own unit of work. Every
MAINTENANCE_INTERVAL it also runs the maintenance pass. Database work runs on worker threads, so
the event loop that serves HTTP never blocks on it.

Stopping: attempts still sending after SHUTDOWN_GRACE are cancelled and recorded as failed with
the error `timeout` (the POST may well have reached the receiver), so they are retried on the
usual schedule and every attempt made appears in the delivery log (docs/reference/webhooks.md §6).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import httpcore
from sqlalchemy import Connection

from uprof.config import Settings
from uprof.crypto.sealing import SecretBox
from uprof.db.unit_of_work import Database
from uprof.timestamps import clock_offset, utc_now
from uprof.webhooks import attempts, sender
from uprof.webhooks.attempts import Claim, Policy
from uprof.webhooks.egress import EgressPolicy
from uprof.webhooks.queue_repository import Shares
from uprof.webhooks.wakeup import WakeOnCommit

log = logging.getLogger("uprof.webhooks")

T = TypeVar("T")

POLL_INTERVAL = 1.0
MAINTENANCE_INTERVAL = 15.0  # docs/reference/provider.md §5.8 allows at most 30 s
MAX_IN_FLIGHT = 32
SHUTDOWN_GRACE = 1.0  # attempts still sending after this are cancelled and recorded as timed out
RETRY_SLACK = 0.01


@dataclass
class Sending:
    """A claimed delivery whose attempt is under way, and since when (once its task has begun)."""

    claim: Claim
    started_at: datetime | None = None
    started: float = 0.0  # time.monotonic() at `started_at`

    def begin(self) -> None:
        self.started_at, self.started = utc_now(), time.monotonic()


class Dispatcher:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        box: SecretBox,
        egress: EgressPolicy,
        chores: Sequence[attempts.Chore] = (),
    ) -> None:
        self._database = database
        self._chores = tuple(chores)
        self._box = box
        self._egress = egress
        self._timeout = float(settings.webhook_timeout)
        self._retention_days = settings.webhook_retention_days
        self._policy = Policy(settings.webhook_max_attempts, settings.webhook_retry_base_seconds)
        self._per_organization = settings.webhook_max_per_organization
        self._in_flight: Counter[str] = Counter()  # attempts under way, per organization
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: dict[asyncio.Task[None], Sending] = {}  # attempts whose POST is under way
        self._tasks: set[asyncio.Task[None]] = set()
        self._backlog = False
        self._retries: list[float] = []  # heap: monotonic times of retries this dispatcher scheduled
        self._next_maintenance = 0.0
        # The test double's clock when maintenance last ran: an advanced clock is acted on at the next
        # poll, not 15 s later (docs/testing.md). Without --test-controls it never moves.
        self._clock_seen = clock_offset()

    def wake(self) -> None:
        """Look for due deliveries now; safe to call from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Ask `run` to finish: no new claims; attempts still sending after a short grace are cut short
        and recorded."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until `stop` is called."""
        self._loop = asyncio.get_running_loop()
        signal_on_commit = WakeOnCommit(self._database, self.wake)
        signal_on_commit.install()
        try:
            async with sender.make_client(self._egress) as client:
                while not self._stopping:
                    await self._step(client)
                    await self._pause()
                await self._finish()
        finally:
            signal_on_commit.remove()

    async def _step(self, client: httpcore.AsyncConnectionPool) -> None:
        try:
            if time.monotonic() >= self._next_maintenance or clock_offset() != self._clock_seen:
                self._next_maintenance = time.monotonic() + MAINTENANCE_INTERVAL
                self._clock_seen = clock_offset()
                now = utc_now()
                await self._run(lambda c: attempts.maintain(c, now, self._retention_days, self._chores))
            room = MAX_IN_FLIGHT - len(self._tasks)
            now = utc_now()
            shares = Shares(dict(self._in_flight), self._per_organization)
            # A read first: an idle dispatcher never takes SQLite's write lock.
            if room > 0 and await self._run(lambda c: attempts.any_due(c, now, shares.full()), write=False):
                claims = await self._run(lambda c: attempts.claim(c, now, room, self._box, shares))
                self._backlog = len(claims) == room
                for item in claims:
                    self._start(client, item)
                if len(claims) < room and any(self._is_full(item.organization_id) for item in claims):
                    # The claim may have passed over other organizations' deliveries for this one's.
                    self._wake.set()
        except Exception:  # the database may be briefly unavailable; the next poll tries again
            log.exception("webhook dispatcher step failed")

    def _is_full(self, organization_id: str) -> bool:
        return self._in_flight[organization_id] >= self._per_organization

    def _start(self, client: httpcore.AsyncConnectionPool, item: Claim) -> None:
        self._in_flight[item.organization_id] += 1
        sending = Sending(item)
        task = asyncio.create_task(self._deliver(client, sending))
        self._tasks.add(task)
        self._sending[task] = sending
        task.add_done_callback(lambda done: self._finished(done, item.organization_id))

    def _finished(self, task: asyncio.Task[None], organization_id: str) -> None:
        self._tasks.discard(task)
        self._sending.pop(task, None)
        self._in_flight[organization_id] -= 1
        if self._in_flight[organization_id] <= 0:
            del self._in_flight[organization_id]
        if self._backlog or self._in_flight[organization_id] == self._per_organization - 1:
            self._wake.set()

    async def _deliver(self, client: httpcore.AsyncConnectionPool, sending: Sending) -> None:
        item = sending.claim
        sending.begin()
        try:
            outcome = await self._attempt(client, item)
            # From here the attempt is only recorded: shutdown lets that finish rather than cancel it.
            task = asyncio.current_task()
            if task is not None:
                self._sending.pop(task, None)
            log.debug(
                "webhook delivery %s: %s in %d ms",
                item.delivery_id,
                outcome.status_code or outcome.error,
                outcome.duration_ms,
            )
            now = utc_now()
            retry_at = await self._run(lambda c: attempts.record(c, item, outcome, now, self._policy))
        except Exception:  # unrecorded: the lease runs out and the attempt is made again
            log.exception("webhook attempt for delivery %s was not recorded", item.delivery_id)
            return
        if retry_at is not None:
            # A little late rather than early: an early look finds nothing due and waits a whole poll.
            heapq.heappush(self._retries, time.monotonic() + _seconds_until(retry_at) + RETRY_SLACK)

    async def _attempt(self, client: httpcore.AsyncConnectionPool, item: Claim) -> sender.Outcome:
        return await attempt(client, item, self._timeout)

    async def _pause(self) -> None:
        """Wait for a wake-up, the next poll, a retry this dispatcher scheduled, or maintenance."""
        now = time.monotonic()
        while self._retries and self._retries[0] <= now:
            heapq.heappop(self._retries)
        soonest = self._retries[0] if self._retries else float("inf")
        timeout = max(min(POLL_INTERVAL, soonest - now, self._next_maintenance - now), 0.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _finish(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE)
        cut_short = list(self._sending.values())
        for task in list(self._sending):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        for sending in cut_short:
            await self._record_cut_short(sending)

    async def _record_cut_short(self, sending: Sending) -> None:
        """Record an attempt cancelled by the stop as timed out, which also gives its lease back and
        schedules the retry; an attempt whose task never began sent nothing and only hands its lease
        back."""
        item, started_at = sending.claim, sending.started_at
        try:
            if started_at is None:
                await self._run(lambda c: attempts.release(c, [item]))
                return
            outcome = sender.cut_short(started_at, sending.started)
            now = utc_now()
            await self._run(lambda c: attempts.record(c, item, outcome, now, self._policy))
        except Exception:  # unrecorded: the lease runs out within 60 seconds and the attempt is made again
            log.exception("webhook attempt for delivery %s, cut short by the stop, was not recorded", item.delivery_id)

    async def _run(self, work: Callable[[Connection], T], *, write: bool = True) -> T:
        return await asyncio.to_thread(self._database.run, work, write=write)


async def attempt(client: httpcore.AsyncConnectionPool, item: Claim, timeout: float) -> sender.Outcome:
    """POST one claimed delivery, signed on the real clock (receivers check the timestamp against theirs);
    the dispatcher and the test double's flush (controls/flush.py) both attempt through this."""
    if not item.can_sign:
        # Sending unsigned would be worse than not sending: the attempt fails, to be retried on
        # schedule (by then the operator may have configured the right key).
        log.error(
            "webhook delivery %s not sent: no configured secret key decrypts the signing secret of "
            "endpoint %s (check UPROF_SECRET_KEY or the key file; regenerating the secret also helps)",
            item.delivery_id,
            item.endpoint_id,
        )
        return sender.not_sent(attempts.SECRET_UNREADABLE)
    body = item.body.encode("utf-8")
    return await sender.post(client, item.url, body, item.signature(int(time.time())), timeout)


def _seconds_until(moment: datetime) -> float:
    return max((moment - utc_now()).total_seconds(), 0.0)


@contextlib.asynccontextmanager
async def running(
    database: Database, settings: Settings, box: SecretBox, chores: Sequence[attempts.Chore] = ()
) -> AsyncIterator[dict[str, asyncio.Task[None]]]:
    """Run a dispatcher for the duration of the block (the server's lifespan). Its task is yielded as
    lifespan state, so `/readyz` can tell whether it is still alive."""
    dispatcher = Dispatcher(database, settings, box, EgressPolicy.from_settings(settings), chores)
    task = asyncio.create_task(dispatcher.run())
    try:
        yield {"webhook_dispatcher": task}
    finally:
        dispatcher.stop()
        await task


async def run_until_signalled(
    database: Database, settings: Settings, box: SecretBox, chores: Sequence[attempts.Chore] = ()
) -> None:
    """Run a dispatcher until SIGINT or SIGTERM (`uprof webhooks dispatch`)."""
    egress = EgressPolicy.from_settings(settings, listening=False)
    dispatcher = Dispatcher(database, settings, box, egress, chores)
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, dispatcher.stop)
    log.info("dispatching webhooks (stop with Ctrl-C or SIGTERM); %s", egress.describe())
    await dispatcher.run()
