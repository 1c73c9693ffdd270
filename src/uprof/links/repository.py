"""Every query on the link table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select

from uprof.links.models import link


def insert_link(connection: Connection, **values: Any) -> None:
    connection.execute(insert(link).values(**values))


def get_by_hash(connection: Connection, token_sha256: str) -> Row[Any] | None:
    return connection.execute(select(link).where(link.c.token_sha256 == token_sha256)).first()
