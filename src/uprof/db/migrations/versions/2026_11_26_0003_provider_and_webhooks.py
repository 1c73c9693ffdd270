"""provider and webhooks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 19:43:50.347891
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column(
            "id", sa.String(length=29).with_variant(sa.String(length=29, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("enabled_events", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=64), nullable=False),
        sa.Column("signing_secret", sa.String(length=64), nullable=False),
        sa.Column("previous_signing_secret", sa.String(length=64), nullable=True),
        sa.Column("previous_secret_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_webhook_endpoint_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoint_organization_id_created_at_id"),
            ["organization_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "webhook_event",
        sa.Column(
            "id", sa.String(length=30).with_variant(sa.String(length=30, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_webhook_event_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
    )
    op.create_table(
        "enrollment",
        sa.Column(
            "id", sa.String(length=28).with_variant(sa.String(length=28, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("user_profile_id", sa.String(length=30), nullable=False),
        sa.Column("program", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("requested", sa.JSON(), nullable=False),
        sa.Column("use_case", sa.String(length=2000), nullable=False),
        sa.Column("applicant_organization", sa.String(length=255), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_enrollment_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_profile_id"],
            ["user_profile.id"],
            name=op.f("fk_enrollment_user_profile_id_user_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrollment_organization_id_status_submitted_at"),
            ["organization_id", "status", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_enrollment_user_profile_id_submitted_at"), ["user_profile_id", "submitted_at"], unique=False
        )

    op.create_table(
        "identity_check",
        sa.Column(
            "id", sa.String(length=28).with_variant(sa.String(length=28, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("user_profile_id", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("document_type", sa.String(length=16), nullable=False),
        sa.Column("document_last4", sa.String(length=4), nullable=False),
        sa.Column("submitted_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_identity_check_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_profile_id"],
            ["user_profile.id"],
            name=op.f("fk_identity_check_user_profile_id_user_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_check")),
    )
    with op.batch_alter_table("identity_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_check_organization_id_status_submitted_at"),
            ["organization_id", "status", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_identity_check_user_profile_id_submitted_at"),
            ["user_profile_id", "submitted_at"],
            unique=False,
        )

    op.create_table(
        "webhook_delivery",
        sa.Column(
            "id", sa.String(length=30).with_variant(sa.String(length=30, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("endpoint_id", sa.String(length=29), nullable=False),
        sa.Column("event_id", sa.String(length=30), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=True),
        sa.Column("lease_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["webhook_event.id"], name=op.f("fk_webhook_delivery_event_id_webhook_event")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_webhook_delivery_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_delivery_endpoint_id"), ["endpoint_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_organization_id_created_at_id"),
            ["organization_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_status_next_attempt_at"), ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "console_session",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.String(length=31), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"], name=op.f("fk_console_session_api_key_id_api_key")),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_console_session")),
    )
    with op.batch_alter_table("console_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_session_api_key_id"), ["api_key_id"], unique=False)

    op.create_table(
        "webhook_attempt",
        sa.Column("delivery_id", sa.String(length=30), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=32), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "number", name=op.f("pk_webhook_attempt")),
    )


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
