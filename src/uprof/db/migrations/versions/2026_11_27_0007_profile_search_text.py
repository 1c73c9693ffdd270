"""profile search text: user_profile.name_folded, the name case-folded in full Unicode

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 01:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("user_profile", sa.Column("name_folded", sa.Text(), nullable=True))
    # Folded in Python, as the service folds new names: neither database's lower() does the same.
    connection = op.get_bind()
    profile = sa.table("user_profile", sa.column("id", sa.String()), sa.column("name", sa.String()))
    folded = sa.table("user_profile", sa.column("id", sa.String()), sa.column("name_folded", sa.Text()))
    last = ""
    while True:
        rows = connection.execute(
            sa.select(profile.c.id, profile.c.name)
            .where(profile.c.name.is_not(None), profile.c.id > last)
            .order_by(profile.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            folded.update().where(folded.c.id == sa.bindparam("row_id")).values(name_folded=sa.bindparam("text")),
            [{"row_id": row.id, "text": row.name.casefold()} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
