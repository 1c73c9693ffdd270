"""rate limit buckets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 20:52:00.669226
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_bucket",
        sa.Column("api_key_id", sa.String(length=31), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"], name=op.f("fk_rate_limit_bucket_api_key_id_api_key")),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_rate_limit_bucket")),
    )


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
