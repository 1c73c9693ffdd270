"""Tables of customer-managed data controls: the External Keys an organization registers, and a profile's
Google-managed controls that use them (the controls, each region's state, retired entries).

The external_key table is here, below the external_keys part that serves it, because the controls look
keys up and External Keys report whether controls use them: one part owns both tables.
"""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table

from uprof.db.base import metadata
from uprof.db.columns import Timestamp, code_point_string

# A profile without a row here has both controls off, nothing suspended, and `updated_at` = its creation.
data_controls = Table(
    "data_controls",
    metadata,
    Column(
        "user_profile_id", code_point_string(30), ForeignKey("user_profile.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("cmek_enabled", Boolean, nullable=False),
    Column("storage_enabled", Boolean, nullable=False),
    Column("cmek_suspended", Boolean, nullable=False),
    Column("storage_suspended", Boolean, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# One row per (profile, control, region) that has, or had since its last reset, a key or bucket.
data_control_region = Table(
    "data_control_region",
    metadata,
    Column(
        "user_profile_id", code_point_string(30), ForeignKey("user_profile.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("control", String(8), primary_key=True),  # "cmek" or "storage"
    Column("region", String(16), primary_key=True),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    # cmek: {"external_key_id"}; storage: {"project_number", "bucket_name"}. Configured is what the
    # customer set, effective what the region applies now (the previous one while a new one is pending).
    Column("configured", JSON, nullable=True),
    Column("effective", JSON, nullable=True),
    # The External Keys named above, as columns so that "is this key attached?" is an indexed lookup.
    Column("configured_key_id", code_point_string(29), nullable=True),
    Column("effective_key_id", code_point_string(29), nullable=True),
    Column("status", String(16), nullable=False),  # not_configured, pending, active, failed
    Column("pending_since", Timestamp, nullable=True),
    Column("validated_at", Timestamp, nullable=True),
    Column("error", String(1000), nullable=True),
    Column("failed_checks", JSON, nullable=False),
    Column("details", JSON, nullable=True),  # storage, once confirmed: project_id, location, kms_key_name
    Index(None, "configured_key_id"),
    Index(None, "effective_key_id"),
)

data_control_retired = Table(
    "data_control_retired",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_profile_id", code_point_string(30), ForeignKey("user_profile.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", String(36), ForeignKey("organization.id"), nullable=False),
    Column("control", String(8), nullable=False),
    Column("region", String(16), nullable=False),
    Column("reference", JSON, nullable=False),  # as `effective` was when the region retired it
    Column("external_key_id", code_point_string(29), nullable=True),
    Column("expires_at", Timestamp, nullable=False),
    Index(None, "user_profile_id", "control", "expires_at"),
    Index(None, "external_key_id"),
)

# One row per External Key (`ekey_…`) of an organization.
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
