"""The table of the operator's side that is its own: enrollments (applications to a program).

Enforcement actions and identity checks, which every profile read shows, are in standing/models.py."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp, code_point_string

enrollment = Table(
    "enrollment",
    metadata,
    Column("id", code_point_string(28), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("user_profile_id", String(30), ForeignKey("user_profile.id", ondelete="CASCADE"), nullable=False),
    Column("program", String(8), nullable=False),  # "cyber" or "efs"
    Column("status", String(16), nullable=False),  # pending, approved, rejected, superseded
    Column("source", String(16), nullable=False),  # "enrollment_url" or "portal"
    Column("requested", JSON, nullable=False),  # tiers (cyber) or features (efs)
    Column("use_case", String(2000), nullable=False),
    Column("applicant_organization", String(255), nullable=True),
    Column("contact_email", String(254), nullable=True),
    Column("submitted_at", Timestamp, nullable=False),
    Column("decided_at", Timestamp, nullable=True),
    Column("decision_note", String(1000), nullable=True),
    Index(None, "organization_id", "status", "submitted_at"),
    Index(None, "user_profile_id", "submitted_at"),
)
