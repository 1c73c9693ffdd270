"""Tables of the test double (docs/testing.md). They exist on every database, and are only read or
written by a server started with `--test-controls`."""

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from uprof.db.base import metadata
from uprof.db.columns import Timestamp

# One row (id 1) once the clock was first advanced: how far the virtual clock runs ahead of the real one.
# It lives in the database so that every worker process, and every server sharing the database, reads
# the same time.
test_clock = Table(
    "test_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("offset_micros", BigInteger, nullable=False),
)

# The request journal: one row per /v1/ request authenticated as one of the organization's keys.
test_request = Table(
    "test_request",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("id", String(40), nullable=False),  # the request-id
    Column("at", Timestamp, nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("route", Text, nullable=True),  # the route template the path matched, if any
    Column("query", Text, nullable=False),  # JSON object
    Column("headers", Text, nullable=False),  # JSON object, secrets redacted
    Column("body", Text, nullable=False),  # JSON: the parsed body, the raw text, or null
    Column("status", Integer, nullable=False),
    Column("response_body", Text, nullable=False),  # JSON
    Index(None, "organization_id", "seq"),
)

# Fault rules, applied in the order they were added (seq) until `remaining` reaches zero.
test_fault = Table(
    "test_fault",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=True),
    Column("remaining", Integer, nullable=False),
    Column("delay_ms", Integer, nullable=False),
    Column("retry_after", Integer, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "organization_id", "seq"),
)
