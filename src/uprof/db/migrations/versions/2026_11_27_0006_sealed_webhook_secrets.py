"""sealed webhook secrets

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Signing secrets are stored encrypted from now on: a Fernet token of a 50-character secret is
    # about 160 characters. The plaintext secrets already stored are encrypted in place when
    # `uprof serve` or `uprof webhooks dispatch` next starts (it needs the key; this does not).
    # SQLite rebuilds the table for this, with foreign keys off (db/migrate.py).
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.alter_column(
            "signing_secret", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "previous_signing_secret", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=True
        )


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
