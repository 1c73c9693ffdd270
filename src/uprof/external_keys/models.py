"""The external_key table: one row per External Key (`ekey_…`) of an organization."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp, code_point_string

external_key = Table(
    "external_key",
    metadata,
    Column("id", code_point_string(29), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    # The binding is kept as text, not a foreign key: a key outlives the profile it was bound to
    # (docs/data_controls.md §2), and the binding never changes.
    Column("user_profile_id", code_point_string(30), nullable=True),
    Column("display_name", String(255), nullable=True),
    Column("geo", String(8), nullable=False),
    Column("provider_config", JSON, nullable=False),  # {"type": "gcp" | "aws" | "azure", ...}
    # What the key management service would answer, as the operator decides it: "success" or "failure".
    Column("validation_status", String(8), nullable=False),
    Column("validation_error", String(1000), nullable=True),
    Column("validation_changed_at", Timestamp, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index(None, "organization_id", "created_at", "id"),
)
