"""The link table: enrollment and portal URLs handed to end users, stored only as token hashes."""

from sqlalchemy import Column, ForeignKey, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp

link = Table(
    "link",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # "enrollment" or "portal"
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column(
        "user_profile_id", String(30), ForeignKey("user_profile.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp, nullable=True),
)
