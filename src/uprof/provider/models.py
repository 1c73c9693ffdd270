"""Tables of the operator's side: enforcement actions (restrictions and bans) on profiles."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp, code_point_string

enforcement_action = Table(
    "enforcement_action",
    metadata,
    Column("id", code_point_string(29), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("user_profile_id", String(30), ForeignKey("user_profile.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(16), nullable=False),  # "restriction" or "ban"
    Column("reason", String(32), nullable=False),
    Column("verifiable", Boolean, nullable=False),
    Column("expires_at", Timestamp, nullable=True),
    Column("opened_at", Timestamp, nullable=False),
    Column("resolved_at", Timestamp, nullable=True),
    Column("resolution", String(16), nullable=True),  # "operator", "identity_check" or "expired"
    Column("note", String(1000), nullable=True),
    Index(None, "user_profile_id", "opened_at"),
)
