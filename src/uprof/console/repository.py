"""Every query of the console: its sessions, and the counts on the dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select

from uprof.accounts.models import api_key
from uprof.pages.models import console_session
from uprof.provider.models import enrollment
from uprof.standing.enforcement import open_condition
from uprof.standing.models import enforcement_action, identity_check
from uprof.webhooks.models import webhook_delivery


def insert_session(connection: Connection, **values: Any) -> None:
    connection.execute(insert(console_session).values(**values))


def session_with_key(connection: Connection, token_sha256: str) -> Row[Any] | None:
    """The session and the state of the key that opened it."""
    query = (
        select(console_session, api_key.c.organization_id, api_key.c.kind, api_key.c.revoked_at)
        .join(api_key, api_key.c.id == console_session.c.api_key_id)
        .where(console_session.c.token_sha256 == token_sha256)
    )
    return connection.execute(query).first()


def delete_session(connection: Connection, token_sha256: str) -> None:
    connection.execute(delete(console_session).where(console_session.c.token_sha256 == token_sha256))


def delete_expired(connection: Connection, now: datetime) -> None:
    connection.execute(delete(console_session).where(console_session.c.expires_at <= now))


def count_pending_enrollments(connection: Connection, organization_id: str) -> int:
    query = select(func.count()).where(
        enrollment.c.organization_id == organization_id, enrollment.c.status == "pending"
    )
    return int(connection.scalar(query) or 0)


def count_submitted_checks(connection: Connection, organization_id: str) -> int:
    query = select(func.count()).where(
        identity_check.c.organization_id == organization_id, identity_check.c.status == "submitted"
    )
    return int(connection.scalar(query) or 0)


def count_open_actions(connection: Connection, organization_id: str, now: datetime) -> int:
    t = enforcement_action
    query = select(func.count()).where(t.c.organization_id == organization_id, open_condition(now))
    return int(connection.scalar(query) or 0)


def count_failed_deliveries(connection: Connection, organization_id: str) -> int:
    query = select(func.count()).where(
        webhook_delivery.c.organization_id == organization_id, webhook_delivery.c.status == "failed"
    )
    return int(connection.scalar(query) or 0)
