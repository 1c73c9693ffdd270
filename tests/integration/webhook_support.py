"""What the webhook integration tests share besides their fixtures (conftest.py): the secret box, the
clock they start from, and new endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Connection

from tests.secret_keys import session_box
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.webhooks import outbox, service
from uprof.webhooks.schemas import NewEndpoint

BOX = session_box()
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def new_endpoint(database: Database) -> tuple[str, str]:
    """A new organization and one enabled endpoint of it, subscribed to program status updates."""
    name = f"webhooks-{uuid.uuid4()}"

    def work(connection: Connection) -> tuple[str, str]:
        organization_id = accounts.organization_for(connection, name)
        new = NewEndpoint("https://receiver.example.com/hook", [outbox.PROGRAM_STATUS_UPDATED], "", "")
        return organization_id, service.create(connection, organization_id, new, START, BOX).row.id

    return database.run(work, write=True)
