"""Engines for SQLite and PostgreSQL, configured the way uprof needs them.

SQLite: WAL, a 5-second busy timeout, foreign keys on, and transactions that uprof begins itself
(`BEGIN IMMEDIATE` for writes) so that a writer holds the lock from its first read.
PostgreSQL: psycopg 3 with a connection pool; rows are locked explicitly (`FOR UPDATE`).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from uprof.db.folded import FoldingCursor
from uprof.db.private_files import create_private_database_file

SQLITE_BUSY_TIMEOUT_SECONDS = 5.0
# PostgreSQL requests use the database from at most this many threads at once (http/endpoint.py). The
# pool keeps that many connections open, plus room for pages, the console and the webhook dispatcher.
# Threads share one GIL with the event loop: on the 2-core machine, once a remembered key's check
# travelled with the request's statement (db/folded.py), 2 threads served 10-15 % more retrieves per
# CPU second than 4 did (wrk, 32 connections, bench/wrk/retrieve.lua), and 1 fewer than 2; before it, 4
# had beaten 8. Updates, several round trips each and so bound by latency rather than CPU here, served about
# 10 % fewer with 2 than with 4 at the same CPU per request (bench/wrk/update.lua).
DATABASE_THREADS = 2
POOL = {"pool_size": DATABASE_THREADS + 4, "max_overflow": 8}
# JSON columns (metadata, program standings) are decoded on every profile read: orjson does it
# several times faster than the standard library. Writing keeps SQLAlchemy's default encoder.
JSON_OPTIONS = {"json_deserializer": orjson.loads}


class DatabaseUrlError(ValueError):
    """The database URL names no backend uprof supports."""


def normalise_url(url: str) -> str:
    """Map the URLs users write to the driver uprof uses (`postgresql://` → psycopg 3)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return url
    raise DatabaseUrlError(f"unsupported database URL {redact_url(url)!r}: use sqlite:///… or postgresql://…")


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, sqlite_synchronous: str = "normal") -> Engine:
    """Create the engine for `url` (as given by the user, see normalise_url)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous)
    return _postgresql_engine(url)


def _postgresql_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, **POOL, **JSON_OPTIONS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A check queued by a request's step travels with the step's next statement (db/folded.py).
        dbapi_connection.cursor_factory = FoldingCursor

    return engine


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    in_memory = url.endswith(":memory:")
    options: dict[str, Any] = {
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        **JSON_OPTIONS,
    }
    if in_memory:
        # One shared connection: every thread must see the same in-memory database.
        options["poolclass"] = StaticPool
    else:
        options.update(POOL)
        create_private_database_file(url)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # uprof emits BEGIN itself (Database.unit_of_work)
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
