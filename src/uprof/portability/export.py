"""`uprof export`: the whole database as JSON Lines, read from one consistent snapshot (docs/reference/cli.md §6).

Rows are streamed in batches (server-side cursors on PostgreSQL), so memory stays flat however
large the database is. The snapshot is one read transaction: on SQLite (WAL) a deferred
transaction sees the database as of its first read; on PostgreSQL it is REPEATABLE READ, READ
ONLY. Writers are never blocked, so an export may run while servers are serving.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, BinaryIO, Protocol

from sqlalchemy import Column, Connection, Select, Table, exists, func, select

from uprof.accounts.models import api_key, organization, workspace
from uprof.crypto.sealing import SecretUnreadable
from uprof.crypto.server_keys import server_secret
from uprof.data_controls.models import data_controls, external_key
from uprof.db.unit_of_work import Database
from uprof.portability import data_control_records, progress, records
from uprof.profiles.models import user_profile
from uprof.provider.models import enrollment
from uprof.standing.models import enforcement_action, identity_check
from uprof.timestamps import utc_now
from uprof.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event

BATCH = 1000

# The table each data kind is read from, in file order.
TABLES: dict[str, Table] = {
    "organization": organization,
    "workspace": workspace,
    "api_key": api_key,
    "user_profile": user_profile,
    "enrollment": enrollment,
    "enforcement_action": enforcement_action,
    "identity_check": identity_check,
    "external_key": external_key,
    "data_controls": data_controls,
    "webhook_endpoint": webhook_endpoint,
    "webhook_event": webhook_event,
    "webhook_delivery": webhook_delivery,
    "server_secret": server_secret,
}
# Simple kinds: one row, one record (webhook_endpoint too, but its secrets must be decrypted).
CONVERTERS: dict[str, Callable[[records.Row], dict[str, Any]]] = {
    "organization": records.organization,
    "workspace": records.workspace,
    "api_key": records.api_key,
    "user_profile": records.user_profile,
    "enrollment": records.enrollment,
    "identity_check": records.identity_check,
    "external_key": data_control_records.external_key_record,
    "webhook_event": records.webhook_event,
    "server_secret": records.server_secret,
}
ORDER: dict[str, tuple[str, ...]] = {
    "workspace": ("organization_id", "id"),
    "server_secret": ("name",),
    "data_controls": ("user_profile_id",),
}
ATTEMPT_COLUMNS = ("number", "started_at", "duration_ms", "status_code", "error", "response_excerpt")


class SecretOpener(Protocol):
    """What opens stored signing secrets: a SecretBox, or a secret_key.BoxOnDemand that loads the key
    only when a sealed secret is met (and may raise SecretKeyError then)."""

    def open(self, stored: str) -> str: ...


def export_to(database: Database, path: str, box: SecretOpener, *, show_progress: bool) -> int:
    """Export into the file at `path` (replaced if it exists), or to stdout for `-`; return the record count.

    A regular file appears only when the export is complete: it is written beside `path` under a
    temporary name and renamed at the end, so a failed export leaves no truncated file that an import
    could mistake for a whole one (and an earlier file at `path` stays as it was). It is readable by
    its owner alone, since it holds key hashes and signing secrets. A symlink, device or pipe at
    `path` is written through instead.

    Raises SecretUnreadable when `box` cannot decrypt a stored signing secret.
    """
    if path == "-":
        return sum(export(database, sys.stdout.buffer, box, show_progress=show_progress).values())
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        # A symlink, a device (/dev/stdout), a pipe (>(gzip > f)): written through, never replaced.
        with open(path, "wb", buffering=1 << 20) as sink:
            return sum(export(database, sink, box, show_progress=show_progress).values())
    directory, name = os.path.split(os.path.abspath(path))
    descriptor, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=directory)
    try:
        with open(descriptor, "wb", buffering=1 << 20) as sink:
            counts = export(database, sink, box, show_progress=show_progress)
            os.fsync(sink.fileno())
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
    return sum(counts.values())


def export(database: Database, sink: BinaryIO, box: SecretOpener, *, show_progress: bool) -> dict[str, int]:
    """Write every record to `sink`: header, the data kinds in order, footer. Return the count per kind.

    Signing secrets are written in plaintext, opened with `box`; raises SecretUnreadable when one cannot be.
    """
    with snapshot(database) as connection:
        exported_at = utc_now()
        total = count(connection) if show_progress else None
        counts = dict.fromkeys(records.DATA_KINDS, 0)
        sink.write(records.encode(records.header(exported_at)))
        with progress.bar(show_progress, "exporting", total, unit="records") as advance:
            for kind in records.DATA_KINDS:
                for record in _records(connection, kind, exported_at, box):
                    sink.write(records.encode(record))
                    counts[kind] += 1
                    advance(1)
        sink.write(records.encode(records.footer(counts)))
    sink.flush()
    return counts


@contextmanager
def snapshot(database: Database) -> Iterator[Connection]:
    """A read-only transaction that sees one consistent state of the whole database."""
    with database.unit_of_work(write=False) as connection:
        if not database.is_sqlite:
            # Must be the transaction's first statement; SQLite's deferred BEGIN already gives a snapshot.
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield connection


def count(connection: Connection) -> int:
    """The number of data records an export of this snapshot writes."""
    return sum(connection.scalar(select(func.count()).select_from(table)) or 0 for table in TABLES.values())


def _records(connection: Connection, kind: str, now: datetime, box: SecretOpener) -> Iterator[dict[str, Any]]:
    if kind == "enforcement_action":
        for row in _stream(connection, _actions_query(connection)):
            yield records.enforcement_action(row, now)
    elif kind == "webhook_delivery":
        yield from _deliveries(connection)
    elif kind == "data_controls":
        yield from data_control_records.data_controls_records(
            connection, _stream(connection, _sorted(connection, kind)), now
        )
    elif kind == "webhook_endpoint":
        for row in _stream(connection, _sorted(connection, kind)):
            yield _endpoint_record(row, box)
    else:
        convert = CONVERTERS[kind]
        for row in _stream(connection, _sorted(connection, kind)):
            yield convert(row)


def _endpoint_record(row: records.Row, box: SecretOpener) -> dict[str, Any]:
    try:
        return records.webhook_endpoint(row, box.open)
    except SecretUnreadable:
        raise SecretUnreadable(
            f"no configured secret key decrypts the signing secrets of webhook endpoint {row['id']}"
        ) from None


def _sorted(connection: Connection, kind: str) -> Select[Any]:
    table = TABLES[kind]
    return select(table).order_by(*_code_point(connection, table, ORDER.get(kind, ("id",))))


def _stream(connection: Connection, query: Select[Any]) -> Iterator[records.Row]:
    for row in connection.execute(query.execution_options(yield_per=BATCH)):
        yield row._mapping


def _code_point(connection: Connection, table: Table, names: tuple[str, ...]) -> list[Any]:
    """Sort keys compared by code point on every backend (PostgreSQL's default collation is not)."""
    columns: list[Column[Any]] = [table.c[name] for name in names]
    if connection.dialect.name == "postgresql":
        return [column.collate("C") for column in columns]
    return list(columns)


def _actions_query(connection: Connection) -> Select[Any]:
    # The admin view's `action` depends on whether the profile has an identity check awaiting a decision.
    submitted = exists().where(
        identity_check.c.user_profile_id == enforcement_action.c.user_profile_id,
        identity_check.c.status == "submitted",
    )
    return select(enforcement_action, submitted.label("check_submitted")).order_by(
        *_code_point(connection, enforcement_action, ("id",))
    )


def _deliveries(connection: Connection) -> Iterator[dict[str, Any]]:
    """Deliveries with their attempts, read in one ordered join and grouped here."""
    attempt = webhook_attempt
    query = (
        select(webhook_delivery, *(attempt.c[name] for name in ATTEMPT_COLUMNS))
        .select_from(webhook_delivery.outerjoin(attempt, attempt.c.delivery_id == webhook_delivery.c.id))
        .order_by(*_code_point(connection, webhook_delivery, ("id",)), attempt.c.number)
    )
    current: records.Row | None = None
    attempts: list[records.Row] = []
    for row in _stream(connection, query):
        if current is not None and row["id"] != current["id"]:
            yield records.webhook_delivery(current, attempts)
            attempts = []
        current = row
        if row["number"] is not None:
            attempts.append(row)
    if current is not None:
        yield records.webhook_delivery(current, attempts)
