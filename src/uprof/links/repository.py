"""Every query on the link table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from uprof.links.models import link


def insert_link(connection: Connection, **values: Any) -> None:
    connection.execute(insert(link).values(**values))


def get_by_hash(connection: Connection, token_sha256: str) -> Row[Any] | None:
    return connection.execute(select(link).where(link.c.token_sha256 == token_sha256)).first()


def mark_used(connection: Connection, token_sha256: str, now: datetime) -> bool:
    """Set `used_at` on a link not used yet; False when another request consumed it first."""
    result = connection.execute(
        update(link).where(link.c.token_sha256 == token_sha256, link.c.used_at.is_(None)).values(used_at=now)
    )
    return result.rowcount == 1
