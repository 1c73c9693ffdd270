"""Per-key token buckets (docs/reference/http.md §15): `rate` tokens a minute, at most `burst` saved up.

The bucket lives in the database so every server process draws from the same one; taking a
token is one short write transaction that locks the key's bucket row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from uprof.accounts.models import rate_limit_bucket as t


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int  # the bucket size
    remaining: int  # whole tokens left after this request
    retry_after_seconds: float  # until one token is available (0 when allowed)
    full_at: datetime  # when the bucket will be full again


def take(connection: Connection, key_id: str, *, rate: int, burst: int, now: datetime) -> Decision:
    """Take one token from the key's bucket if there is one; refill first by the time elapsed."""
    per_second = rate / 60
    query = select(t).where(t.c.api_key_id == key_id).with_for_update()
    row = connection.execute(query).first()
    if row is None:
        _create(connection, key_id, burst, now)
        row = connection.execute(query).one()
    elapsed = max(0.0, (now - row.refilled_at).total_seconds())
    tokens = min(float(burst), row.tokens + elapsed * per_second)
    allowed = tokens >= 1
    if allowed:
        tokens -= 1
    connection.execute(update(t).where(t.c.api_key_id == key_id).values(tokens=tokens, refilled_at=now))
    wait = 0.0 if allowed else (1 - tokens) / per_second
    full_at = now + timedelta(seconds=(burst - tokens) / per_second)
    return Decision(allowed, burst, math.floor(tokens), wait, full_at)


def peek(connection: Connection, key_id: str, *, rate: int, burst: int, now: datetime) -> Decision:
    """The key's bucket as `take` would find it, without taking a token (a read: nothing is stored)."""
    per_second = rate / 60
    row = connection.execute(select(t.c.tokens, t.c.refilled_at).where(t.c.api_key_id == key_id)).first()
    tokens = float(burst)
    if row is not None:
        elapsed = max(0.0, (now - row.refilled_at).total_seconds())
        tokens = min(tokens, row.tokens + elapsed * per_second)
    full_at = now + timedelta(seconds=(burst - tokens) / per_second)
    return Decision(tokens >= 1, burst, math.floor(tokens), 0.0, full_at)


def _create(connection: Connection, key_id: str, burst: int, now: datetime) -> None:
    """Insert a full bucket; a concurrent first request of the same key may already have done so."""
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(t).values(api_key_id=key_id, tokens=float(burst), refilled_at=now)
    connection.execute(statement.on_conflict_do_nothing(index_elements=["api_key_id"]))
