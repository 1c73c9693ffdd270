"""webhook delivery attempt budget

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 19:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A manual retry gives a delivery a fresh attempt budget without renumbering its attempts.
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_start", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
