"""What the service-level tests share: an organization with one webhook endpoint of each kind, profiles,
the profile as the API renders it, and what each change left in the outbox.

The tests call the services inside a real unit of work (`Database.run`), as a request would, on a
database of their own (conftest.py `services_database`): a server other tests start would otherwise
dispatch the deliveries, or expire the actions, these tests look at.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from tests.integration.webhook_support import BOX
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.http.revision_choice import Revision
from uprof.profiles import service as profiles
from uprof.profiles.records import ProfileRead
from uprof.profiles.revisions import render
from uprof.profiles.schemas import ProfileInput
from uprof.provider import repository as provider_rows
from uprof.provider import service as provider
from uprof.webhooks import outbox
from uprof.webhooks import service as endpoints
from uprof.webhooks.models import webhook_delivery, webhook_event
from uprof.webhooks.schemas import NewEndpoint

T = TypeVar("T")

USER_PROFILE_EVENTS = [
    outbox.PROGRAM_STATUS_UPDATED,
    outbox.ENFORCEMENT_ACTION_OPENED,
    outbox.ENFORCEMENT_ACTION_RESOLVED,
]


@dataclass(frozen=True)
class Event:
    """One stored event, and the endpoints it has a delivery for."""

    type: str
    profile_id: str
    action_id: str | None
    created_at: datetime
    deliveries: frozenset[str]
    body: dict[str, Any]


@dataclass
class Tenant:
    """An organization with three endpoints: `everything` (enabled, every profile event),
    `programs_only` (enabled, program status updates only) and `disabled` (every event, disabled).
    Every call runs in a unit of work of its own; `recorded()` tells what the outbox gained since
    the last call."""

    database: Database
    organization_id: str
    everything: str
    programs_only: str
    disabled: str
    _seen: set[str] = field(default_factory=set)

    def run(self, work: Callable[[Connection, str], T]) -> T:
        """`work(connection, organization_id)` in one write unit of work."""
        return self.database.run(lambda connection: work(connection, self.organization_id), write=True)

    def subscribers(self, event_type: str) -> frozenset[str]:
        """The endpoints an event of `event_type` must be delivered to."""
        if event_type == outbox.PROGRAM_STATUS_UPDATED:
            return frozenset({self.everything, self.programs_only})
        return frozenset({self.everything})

    def new_profile(self, now: datetime, name: str = "Northwind Labs") -> str:
        created = self.run(lambda c, org: profiles.create(c, org, ProfileInput(values={"name": name}), now))
        return created.profile.id

    def profile(self, profile_id: str) -> ProfileRead:
        """The stored profile with what enforcement is read from (the profile read model)."""
        return self.run(lambda c, org: profiles.retrieve(c, org, profile_id))

    def rendered(self, profile_id: str, revision: Revision = Revision.GA) -> dict[str, Any]:
        """The profile as the API returns it under `revision`."""
        return render(self.profile(profile_id), revision)

    def enrollment(self, enrollment_id: str) -> Any:
        return self.run(lambda c, org: provider_rows.get_enrollment(c, org, enrollment_id))

    def action(self, action_id: str) -> Any:
        return self.run(lambda c, org: provider_rows.get_action(c, org, action_id))

    def identity_check(self, check_id: str) -> Any:
        return self.run(lambda c, org: provider_rows.get_identity_check(c, org, check_id))

    def recorded(self) -> list[Event]:
        """The events stored for this organization since the last call, oldest first."""
        events = select(webhook_event).where(webhook_event.c.organization_id == self.organization_id)
        deliveries = select(webhook_delivery.c.event_id, webhook_delivery.c.endpoint_id).where(
            webhook_delivery.c.organization_id == self.organization_id
        )

        def read(connection: Connection) -> list[Event]:
            endpoints_of: dict[str, set[str]] = {}
            for event_id, endpoint_id in connection.execute(deliveries):
                endpoints_of.setdefault(event_id, set()).add(endpoint_id)
            return [
                _event(row._mapping, frozenset(endpoints_of.get(row.id, set())))
                for row in connection.execute(events)
                if row.id not in self._seen
            ]

        found = self.database.run(read, write=False)
        self._seen.update(event.body["id"] for event in found)
        return sorted(found, key=lambda event: (event.created_at, event.type))

    def types_recorded(self) -> list[str]:
        """`recorded()`, checking every event went to exactly its subscribers; their types."""
        found = self.recorded()
        for event in found:
            assert event.deliveries == self.subscribers(event.type), event
        return [event.type for event in found]


def _event(row: Any, deliveries: frozenset[str]) -> Event:
    body = json.loads(row["body"])
    data = body["data"]
    return Event(row["type"], data["id"], data.get("enforcement_action_id"), row["created_at"], deliveries, body)


def apply(
    tenant: Tenant, profile_id: str, now: datetime, program: str = "cyber", requested: Sequence[str] = ("a", "c")
) -> str:
    """Submit an application as the enrollment page does; the enrollment's ID."""
    return tenant.run(
        lambda c, org: provider.submit_application(
            c,
            org,
            profile_id,
            program=program,
            source="enrollment_url",
            requested=list(requested),
            use_case="Red-team our own models",
            applicant_organization="Northwind",
            contact_email="sec@northwind.example",
            now=now,
        )
    )


def new_organization(database: Database) -> str:
    name = f"service-tests-{uuid.uuid4()}"
    return database.run(lambda connection: accounts.organization_for(connection, name), write=True)


def add_endpoint(
    connection: Connection, organization_id: str, now: datetime, events: list[str] | None = None, name: str = ""
) -> str:
    """An enabled endpoint subscribed to `events` (every profile event by default); its ID."""
    new = NewEndpoint("https://receiver.example.com/hook", events or USER_PROFILE_EVENTS, name, "")
    return str(endpoints.create(connection, organization_id, new, now, BOX).row.id)


def new_tenant(database: Database, now: datetime) -> Tenant:
    organization_id = new_organization(database)

    def work(connection: Connection) -> Tenant:
        everything = add_endpoint(connection, organization_id, now)
        programs_only = add_endpoint(connection, organization_id, now, [outbox.PROGRAM_STATUS_UPDATED])
        disabled = add_endpoint(connection, organization_id, now)
        endpoints.update(connection, organization_id, disabled, {"state": "disabled"}, now)
        return Tenant(database, organization_id, everything, programs_only, disabled)

    return database.run(work, write=True)
