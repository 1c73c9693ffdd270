"""Tables for who may call the API: organizations, their workspaces and API keys."""

from sqlalchemy import Boolean, Column, Float, ForeignKey, ForeignKeyConstraint, Index, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp

organization = Table(
    "organization",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=False),
)

workspace = Table(
    "workspace",
    metadata,
    Column("organization_id", String(36), ForeignKey("organization.id"), primary_key=True),
    Column("id", String(71), primary_key=True),
    Column("created_at", Timestamp, nullable=False),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", String(31), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("workspace_id", String(71), nullable=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("hint", String(4), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_used_at", Timestamp, nullable=True),
    Column("revoked_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["organization_id", "workspace_id"], ["workspace.organization_id", "workspace.id"]),
    Index(None, "organization_id", "created_at"),
)

# One token bucket per API key, shared by every server process (docs/reference/http.md §15).
rate_limit_bucket = Table(
    "rate_limit_bucket",
    metadata,
    Column("api_key_id", String(31), ForeignKey("api_key.id"), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("refilled_at", Timestamp, nullable=False),
)
