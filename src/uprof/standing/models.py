"""Tables of a profile's enforcement: the actions opened against it and the identity checks that can clear them."""

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

identity_check = Table(
    "identity_check",
    metadata,
    Column("id", code_point_string(28), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("user_profile_id", String(30), ForeignKey("user_profile.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),  # submitted, approved, rejected
    Column("full_name", String(255), nullable=False),
    Column("country", String(2), nullable=False),
    Column("document_type", String(16), nullable=False),
    Column("document_last4", String(4), nullable=False),
    Column("submitted_at", Timestamp, nullable=False),
    Column("decided_at", Timestamp, nullable=True),
    Column("decision_note", String(1000), nullable=True),
    Index(None, "organization_id", "status", "submitted_at"),
    Index(None, "user_profile_id", "submitted_at"),
)
