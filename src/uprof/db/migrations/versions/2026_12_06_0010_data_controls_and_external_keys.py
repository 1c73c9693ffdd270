"""data controls and external keys: external_key, data_controls, data_control_region, data_control_retired

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:17:19.554098
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_key",
        sa.Column(
            "id", sa.String(length=29).with_variant(sa.String(length=29, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column(
            "user_profile_id",
            sa.String(length=30).with_variant(sa.String(length=30, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("geo", sa.String(length=8), nullable=False),
        sa.Column("provider_config", sa.JSON(), nullable=False),
        sa.Column("validation_status", sa.String(length=8), nullable=False),
        sa.Column("validation_error", sa.String(length=1000), nullable=True),
        sa.Column("validation_changed_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_external_key_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_key")),
    )
    with op.batch_alter_table("external_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_key_organization_id_created_at_id"),
            ["organization_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "data_control_region",
        sa.Column(
            "user_profile_id",
            sa.String(length=30).with_variant(sa.String(length=30, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("control", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("configured", sa.JSON(), nullable=True),
        sa.Column("effective", sa.JSON(), nullable=True),
        sa.Column(
            "configured_key_id",
            sa.String(length=29).with_variant(sa.String(length=29, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "effective_key_id",
            sa.String(length=29).with_variant(sa.String(length=29, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pending_since", sa.BigInteger(), nullable=True),
        sa.Column("validated_at", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("failed_checks", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_data_control_region_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_profile_id"],
            ["user_profile.id"],
            name=op.f("fk_data_control_region_user_profile_id_user_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_profile_id", "control", "region", name=op.f("pk_data_control_region")),
    )
    with op.batch_alter_table("data_control_region", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_control_region_configured_key_id"), ["configured_key_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_data_control_region_effective_key_id"), ["effective_key_id"], unique=False)

    op.create_table(
        "data_control_retired",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "user_profile_id",
            sa.String(length=30).with_variant(sa.String(length=30, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("control", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column(
            "external_key_id",
            sa.String(length=29).with_variant(sa.String(length=29, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_data_control_retired_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_profile_id"],
            ["user_profile.id"],
            name=op.f("fk_data_control_retired_user_profile_id_user_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_control_retired")),
    )
    with op.batch_alter_table("data_control_retired", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_control_retired_external_key_id"), ["external_key_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_control_retired_user_profile_id_control_expires_at"),
            ["user_profile_id", "control", "expires_at"],
            unique=False,
        )

    op.create_table(
        "data_controls",
        sa.Column(
            "user_profile_id",
            sa.String(length=30).with_variant(sa.String(length=30, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("cmek_enabled", sa.Boolean(), nullable=False),
        sa.Column("storage_enabled", sa.Boolean(), nullable=False),
        sa.Column("cmek_suspended", sa.Boolean(), nullable=False),
        sa.Column("storage_suspended", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_data_controls_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_profile_id"],
            ["user_profile.id"],
            name=op.f("fk_data_controls_user_profile_id_user_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_profile_id", name=op.f("pk_data_controls")),
    )


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
