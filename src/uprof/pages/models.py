"""The console_session table: operator console sign-ins, stored as hashes of the cookie value."""

from sqlalchemy import Column, ForeignKey, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp

console_session = Table(
    "console_session",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("api_key_id", String(31), ForeignKey("api_key.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
)
