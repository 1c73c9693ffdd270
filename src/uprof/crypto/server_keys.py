"""Secrets the server itself needs and every process must share, kept in the database."""

from __future__ import annotations

import secrets

from sqlalchemy import Column, Connection, String, Table, insert, select

from uprof.db.base import metadata

server_secret = Table(
    "server_secret",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
)


def load_or_create(connection: Connection, name: str) -> bytes:
    """Return the named 256-bit secret, creating it on first use (call inside a write unit of work)."""
    value = connection.scalar(select(server_secret.c.value).where(server_secret.c.name == name))
    if value is None:
        value = secrets.token_hex(32)
        connection.execute(insert(server_secret).values(name=name, value=value))
    return bytes.fromhex(value)
