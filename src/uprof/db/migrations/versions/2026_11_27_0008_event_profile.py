"""event profile: webhook_event.user_profile_id, and the indexes that find a profile's deliveries

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 01:30:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    # A code-point string (uprof.db.columns), spelled out so that this migration never changes.
    profile_id = sa.String(30).with_variant(sa.String(30, collation="C"), "postgresql")
    op.add_column("webhook_event", sa.Column("user_profile_id", profile_id, nullable=True))
    _fill_in_profiles()
    columns = ["organization_id", "user_profile_id"]
    op.create_index(op.f("ix_webhook_event_organization_id_user_profile_id"), "webhook_event", columns)
    op.create_index(op.f("ix_webhook_delivery_event_id"), "webhook_delivery", ["event_id"])


def _fill_in_profiles() -> None:
    """Each stored event names its profile in `data.id` of the body the outbox wrote."""
    connection = op.get_bind()
    event = sa.table(
        "webhook_event", sa.column("id", sa.String()), sa.column("body", sa.Text()), sa.column("user_profile_id")
    )
    last = ""
    while True:
        rows = connection.execute(
            sa.select(event.c.id, event.c.body).where(event.c.id > last).order_by(event.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            event.update()
            .where(event.c.id == sa.bindparam("event_id"))
            .values(user_profile_id=sa.bindparam("profile")),
            [{"event_id": row.id, "profile": _profile_of(row.body)} for row in rows],
        )
        last = rows[-1].id


def _profile_of(body: str) -> str | None:
    """`data.id` of an event body; None for a body the outbox did not write (none should exist)."""
    try:
        profile = json.loads(body)["data"]["id"]
    except (ValueError, KeyError, TypeError):
        return None
    return profile if isinstance(profile, str) else None


def downgrade() -> None:
    raise NotImplementedError("uprof migrations only move forward")
