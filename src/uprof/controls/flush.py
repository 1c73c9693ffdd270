"""`POST /_uprof/webhooks/flush`: every pending delivery of one organization attempted now, back-off ignored.

The attempts are made and recorded exactly as the dispatcher makes them (signed on the real clock,
recorded through the same `attempts.record`), only here, for one organization, and awaited.
Maintenance runs first, so actions already past their `expires_at` have their events queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from uprof.controls import repository
from uprof.http.runtime import Runtime
from uprof.provider.chores import DISPATCHER_CHORES
from uprof.timestamps import utc_now
from uprof.webhooks import attempts, dispatcher, egress, sender
from uprof.webhooks.attempts import LEASE, Claim, Policy

T = TypeVar("T")


async def flush(runtime: Runtime, organization_id: str) -> dict[str, int]:
    settings, box = runtime.settings, runtime.secret_box

    async def run(work: Callable[[Connection], T]) -> T:
        return await asyncio.to_thread(runtime.database.run, work, write=True)

    now = utc_now()
    await run(lambda c: attempts.maintain(c, now, settings.webhook_retention_days, DISPATCHER_CHORES))
    lease = now + LEASE
    rows = await run(lambda c: repository.lease_pending(c, organization_id, now, lease))
    # The dispatcher's own way from a leased row to a claim (secrets in effect, decrypted).
    claims = [attempts.claim_of(row, lease, now, box) for row in rows]
    policy = Policy(settings.webhook_max_attempts, settings.webhook_retry_base_seconds)
    timeout = float(settings.webhook_timeout)
    async with sender.make_client(egress.policy_for(settings)) as client:
        outcomes = await asyncio.gather(*(dispatcher.attempt(client, claim, timeout) for claim in claims))
    for claim, outcome in zip(claims, outcomes, strict=True):
        await run(_recorder(claim, outcome, policy))
    succeeded = sum(1 for outcome in outcomes if outcome.succeeded)
    return {"attempted": len(claims), "succeeded": succeeded, "failed": len(claims) - succeeded}


def _recorder(claim: Claim, outcome: sender.Outcome, policy: Policy) -> Callable[[Connection], object]:
    return lambda connection: attempts.record(connection, claim, outcome, utc_now(), policy)
