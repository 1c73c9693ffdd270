"""Every query on the link table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from uprof.db.prepared import Prepared
from uprof.links.models import link

# Every enrollment or action URL the API hands out is one of these (uprof.db.prepared).
_INSERT_ISSUED = Prepared(insert(link), column_keys=tuple(c.key for c in link.columns if c.key != "used_at"))


def insert_link(connection: Connection, **values: Any) -> None:
    """Store a new, unused link; `values` gives every column but `used_at`."""
    _INSERT_ISSUED.run(connection, values)


def get_by_hash(connection: Connection, token_sha256: str) -> Row[Any] | None:
    return connection.execute(select(link).where(link.c.token_sha256 == token_sha256)).first()


def mark_used(connection: Connection, token_sha256: str, now: datetime) -> bool:
    """Set `used_at` on a link not used yet; False when another request consumed it first."""
    result = connection.execute(
        update(link).where(link.c.token_sha256 == token_sha256, link.c.used_at.is_(None)).values(used_at=now)
    )
    return result.rowcount == 1
