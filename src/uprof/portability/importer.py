"""`uprof import`: a file written by `uprof export` into an empty database, in one transaction
(docs/reference/cli.md §7).

Every line is checked before its rows are written; rows go out in batches as the file is read.
Checks that need an earlier record already written are made against the database, a batch at a
time (references.py), so memory stays flat however many records the file holds. Any problem
raises ImportRejected for the first line that has one, and the unit of work rolls everything back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Table, delete, exists, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from uprof.crypto.sealing import SecretBox
from uprof.crypto.server_keys import server_secret
from uprof.db.base import metadata
from uprof.db.engine import DatabaseUrlError, normalise_url
from uprof.db.unit_of_work import Database
from uprof.portability import progress, records
from uprof.portability.fields import Invalid, check_time
from uprof.portability.references import Check, Seen, first_failed
from uprof.portability.validation import parse
from uprof.webhooks.models import webhook_endpoint

BATCH = 1000


class ImportRejected(Exception):
    """The file cannot be imported; `line` is the 1-based line the problem is on."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


class TargetNotEmpty(Exception):
    """The target database already holds data."""


def import_from(
    database: Database,
    path: str,
    box: SecretBox,
    *,
    show_progress: bool,
    before_commit: Callable[[], None] | None = None,
) -> int:
    """Import the file at `path`, or stdin for `-`; return the record count. Raises ImportRejected or TargetNotEmpty.

    Signing secrets are stored sealed with `box` (this server's key, whatever key the exporting server had).
    The progress bar counts bytes of a file, records of stdin (whose size is unknown). `before_commit`:
    see import_lines.
    """
    if path == "-":
        with progress.bar(show_progress, "importing", None, unit="records") as advance:
            counts = import_lines(
                database, sys.stdin.buffer, box, on_line=lambda _line: advance(1), before_commit=before_commit
            )
    else:
        with open(path, "rb", buffering=1 << 20) as source:
            size = os.fstat(source.fileno()).st_size
            with progress.bar(show_progress, "importing", size, unit="bytes") as advance:
                counts = import_lines(
                    database, source, box, on_line=lambda line: advance(len(line)), before_commit=before_commit
                )
    return sum(counts.values())


def import_lines(
    database: Database,
    lines: Iterable[bytes],
    box: SecretBox,
    *,
    on_line: Callable[[bytes], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Import the lines of an export file; return the count per kind. Raises ImportRejected or TargetNotEmpty.

    `on_line(line)` is called after each line (for the progress bar); `before_commit()` once the
    whole file was read and checked, just before the transaction commits (what it raises rolls
    the import back).
    """
    with database.unit_of_work(write=True) as connection:
        occupied = occupied_tables(connection)
        if occupied:
            raise TargetNotEmpty(f"the database is not empty: it holds {', '.join(occupied)} rows")
        loader = Loader(connection, box)
        number = 0
        for number, line in enumerate(lines, 1):
            loader.read(number, line)
            if on_line is not None:
                on_line(line)
        counts = loader.finish(number)
        if before_commit is not None:
            before_commit()
        return counts


def new_sqlite_files(database_url: str) -> list[Path]:
    """The files a SQLite database at `database_url` would be made of, if it does not exist yet (none
    for an existing one, an in-memory one, or PostgreSQL): what a rejected import removes again, so
    that it leaves nothing behind. Call it before the database is opened."""
    try:
        url = make_url(normalise_url(database_url))
    except (DatabaseUrlError, ValueError):
        return []  # opening the database reports it
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    path = Path(url.database)
    if path.exists():
        return []
    siblings = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
    return [path, *(sibling for sibling in siblings if not sibling.exists())]


def occupied_tables(connection: Connection) -> list[str]:
    """The tables that hold rows, among all but the server's own secrets (which an import replaces)."""
    tables = [table for table in metadata.sorted_tables if table is not server_secret]
    return [table.name for table in tables if connection.scalar(select(exists().select_from(table)))]


class Loader:
    """Reads the lines of one file in order and writes their rows."""

    def __init__(self, connection: Connection, box: SecretBox) -> None:
        self.connection = connection
        self.box = box
        self.seen = Seen()
        self.counts = dict.fromkeys(records.DATA_KINDS, 0)
        self.rank = -1  # position in DATA_KINDS of the last data record, -1 before any
        self.started = False
        self.finished = False
        self.pending: dict[Table, list[dict[str, Any]]] = {}
        self.pending_rows = 0
        self.unconfirmed: list[tuple[int, str, Check]] = []  # (line, kind, check) made when the batch is written

    def read(self, number: int, line: bytes) -> None:
        try:
            self._read(number, line)
        except ImportRejected:
            self._confirm()  # a problem of an earlier line, found only now, comes first
            raise

    def finish(self, last: int) -> dict[str, int]:
        if not self.started:
            raise ImportRejected(1, "the file is empty")
        if not self.finished:
            self._confirm()
            raise ImportRejected(last + 1, "the file ends without a footer: it is truncated or incomplete")
        return self.counts

    def _read(self, number: int, line: bytes) -> None:
        if self.finished:
            raise ImportRejected(number, "content after the footer")
        record = _decode(number, line)
        kind = record["kind"]
        if not self.started:
            _check_header(number, record)
            self.started = True
        elif kind == records.HEADER:
            raise ImportRejected(number, "a second header")
        elif kind == records.FOOTER:
            self._flush(number)
            _check_footer(number, record, self.counts)
            self.finished = True
        else:
            self._data(number, kind, record)

    def _data(self, number: int, kind: str, record: Mapping[str, Any]) -> None:
        if kind not in records.DATA_KINDS:
            raise ImportRejected(number, f"unknown record kind {kind!r}")
        rank = records.DATA_KINDS.index(kind)
        if rank < self.rank:
            previous = records.DATA_KINDS[self.rank]
            raise ImportRejected(number, f"{kind} record after {previous} records: kinds must come in export order")
        if rank > self.rank:
            self._flush(number)  # later kinds refer to earlier ones: those rows go first
            self.rank = rank
        try:
            rows = parse(kind, record, self.seen)
        except Invalid as error:
            raise ImportRejected(number, f"invalid {kind} record: {error}") from None
        finally:  # checks left for later, even by a record refused now: they came before its problem
            self.unconfirmed.extend((number, kind, check) for check in self.seen.take_unconfirmed())
        for table, row in rows:
            self.pending.setdefault(table, []).append(self._sealed(row) if table is webhook_endpoint else row)
        self.pending_rows += len(rows)
        self.counts[kind] += 1
        if self.pending_rows >= BATCH:
            self._flush(number)

    def _sealed(self, row: dict[str, Any]) -> dict[str, Any]:
        """An endpoint row with its secrets (plaintext in the file) sealed as this server stores them."""
        previous = row["previous_signing_secret"]
        return {
            **row,
            "signing_secret": self.box.seal(row["signing_secret"]),
            "previous_signing_secret": None if previous is None else self.box.seal(previous),
        }

    def _confirm(self) -> None:
        """Make the checks left for later; raise ImportRejected for the first line that fails one."""
        checks, self.unconfirmed = self.unconfirmed, []
        failed = first_failed(self.connection, checks) if checks else None
        if failed is not None:
            number, kind, problem = failed
            raise ImportRejected(number, f"invalid {kind} record: {problem}")

    def _flush(self, number: int) -> None:
        self._confirm()  # against the rows written before this batch
        try:
            for table, rows in self.pending.items():  # insertion order: a delivery before its attempts
                if table is server_secret:
                    names = [row["name"] for row in rows]
                    self.connection.execute(delete(server_secret).where(server_secret.c.name.in_(names)))
                self.connection.execute(insert(table), rows)
        except SQLAlchemyError as error:
            problem = getattr(error, "orig", error)
            raise ImportRejected(number, f"the database refused the records up to this line: {problem}") from None
        self.pending.clear()
        self.pending_rows = 0
        self.seen.batch_written()


def _decode(number: int, line: bytes) -> dict[str, Any]:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ImportRejected(number, f"not a JSON object: {error}") from None
    if not isinstance(record, dict):
        raise ImportRejected(number, "not a JSON object")
    if not isinstance(record.get("kind"), str):
        raise ImportRejected(number, "the record has no kind")
    return record


def _check_header(number: int, record: Mapping[str, Any]) -> None:
    if record.get("kind") != records.HEADER or record.get("format") != records.FORMAT:
        raise ImportRejected(number, f"not an export file: the first line must be the {records.FORMAT} header")
    if record.get("version") != records.VERSION or isinstance(record.get("version"), bool):
        raise ImportRejected(
            number, f"unsupported version {record.get('version')!r}: this uprof reads version {records.VERSION}"
        )
    if set(record) != {"kind", "format", "version", "exported_at"}:
        raise ImportRejected(number, "the header must hold exactly kind, format, version and exported_at")
    try:
        check_time(record["exported_at"], "exported_at")
    except Invalid as error:
        raise ImportRejected(number, f"invalid header: {error}") from None


def _check_footer(number: int, record: Mapping[str, Any], counts: Mapping[str, int]) -> None:
    stated = record.get("counts")
    if set(record) != {"kind", "counts"} or not isinstance(stated, dict):
        raise ImportRejected(number, "the footer must hold exactly kind and counts")
    for kind in stated:
        if kind not in records.DATA_KINDS:
            raise ImportRejected(number, f"the footer counts an unknown kind {kind!r}")
    for kind in records.DATA_KINDS:
        expected = stated.get(kind, 0)
        if type(expected) is not int or expected != counts[kind]:
            raise ImportRejected(
                number, f"count mismatch: the footer says {expected!r} {kind}, the file holds {counts[kind]}"
            )
