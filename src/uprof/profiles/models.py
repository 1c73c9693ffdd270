"""The user_profile table: every stored value, whichever revision wrote it (docs/reference/profiles.md §2.6)."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text

from uprof.db.base import metadata
from uprof.db.columns import Timestamp, code_point_string

user_profile = Table(
    "user_profile",
    metadata,
    Column("id", code_point_string(30), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("name", String(255), nullable=True),
    # `name` with A-Z folded to a-z, compared by code point: the order_by=name sort key.
    Column("name_key", code_point_string(255), nullable=True),
    # `name` case-folded in full Unicode (É → é, ß → ss): what the operator's search matches, the same
    # on both databases (their own lower() folds only ASCII under the C collation).
    Column("name_folded", Text, nullable=True),
    Column("access_type", String(16), nullable=False),
    Column("reference_id", String(255), nullable=True),
    Column("onboarded_at", Timestamp, nullable=True),
    Column("account_status", String(16), nullable=True),
    Column("country", String(2), nullable=True),
    Column("email_hash", String(255), nullable=True),
    Column("entity_type", String(16), nullable=True),
    Column("name_hash", String(255), nullable=True),
    Column("metadata", JSON, nullable=False),
    # Program standing: {"status", "tiers", "requirements"} for cyber, {"status", "features"} for efs,
    # or NULL when the profile has no standing in the program. Set by the operator (provider issue).
    Column("cyber", JSON, nullable=True),
    Column("efs", JSON, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index(None, "organization_id", "created_at", "id"),
    Index(None, "organization_id", "name_key", "id"),
)
