"""External Key use cases: create, retrieve, update, list, delete, validate, and the operator's verdict.

Raises NotFound for a key of no or another organization, InvalidRequest for a change the key's state
refuses by shape (a Google Cloud key's name), and Conflict for a change or deletion of an attached key
(docs/data_controls.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from uprof.external_keys import repository
from uprof.external_keys.schemas import NewExternalKey, ValidationOutcome
from uprof.http.errors import Conflict, InvalidRequest, NotFound, quote
from uprof.http.listing import Listing, page_of
from uprof.http.pagination import CursorCodec
from uprof.ids import new_id
from uprof.webhooks import outbox

PREFIX = "ekey_"


@dataclass(frozen=True)
class KeyPage:
    rows: list[Row[Any]]
    attached: set[str]
    next_page: str | None


def key_not_found() -> NotFound:
    return NotFound("external key not found")


def create(connection: Connection, organization_id: str, new: NewExternalKey, now: datetime) -> Row[Any]:
    """Store a new key; a key bound to a profile needs that profile (400 `user_profile_not_found`)."""
    profile_id = new.user_profile_id
    if profile_id is not None and not repository.profile_exists(connection, organization_id, profile_id):
        raise InvalidRequest(
            f"user_profile_id: user profile '{quote(profile_id)}' not found", error_code="user_profile_not_found"
        )
    key_id = new_id(PREFIX)
    repository.insert_key(
        connection,
        {
            "id": key_id,
            "organization_id": organization_id,
            "user_profile_id": profile_id,
            "display_name": new.display_name,
            "geo": new.geo,
            "provider_config": new.provider_config,
            "validation_status": "success",
            "validation_error": None,
            "validation_changed_at": now,
            "created_at": now,
            "updated_at": now,
        },
    )
    return retrieve(connection, organization_id, key_id)


def retrieve(connection: Connection, organization_id: str, key_id: str, *, for_update: bool = False) -> Row[Any]:
    row = repository.get_key(connection, organization_id, key_id, for_update=for_update)
    if row is None:
        raise key_not_found()
    return row


def update(
    connection: Connection, organization_id: str, key_id: str, changes: dict[str, Any], now: datetime
) -> Row[Any]:
    """Apply `changes`; `geo` and `provider_config` only while no data control uses the key."""
    row = retrieve(connection, organization_id, key_id, for_update=True)
    changed = {field: value for field, value in changes.items() if row._mapping[field] != value}
    config = changed.get("provider_config")
    if config is not None and row.provider_config["type"] == "gcp":
        raise InvalidRequest("provider_config: a Google Cloud key's provider and key_name cannot be changed")
    if ("geo" in changed or config is not None) and repository.is_attached(connection, key_id, now):
        field = "provider_config" if config is not None else "geo"
        raise Conflict(f"{field}: cannot be changed while a user profile's data controls use this external key")
    if changed:
        repository.update_key(connection, key_id, {**changed, "updated_at": now})
    return retrieve(connection, organization_id, key_id)


def list_page(
    connection: Connection, organization_id: str, listing: Listing, cursors: CursorCodec, now: datetime
) -> KeyPage:
    """One page of the organization's keys, newest first, with which of them are attached."""

    def fetch(after: tuple[int, str] | None, limit: int) -> list[Row[Any]]:
        return repository.key_page(connection, organization_id, after, limit)

    rows, cursor = page_of(listing, cursors, fetch, "created_at")
    return KeyPage(rows, repository.attached_ids(connection, [row.id for row in rows], now), cursor)


def is_attached(connection: Connection, key_id: str, now: datetime) -> bool:
    return repository.is_attached(connection, key_id, now)


def delete(connection: Connection, organization_id: str, key_id: str, now: datetime) -> None:
    retrieve(connection, organization_id, key_id, for_update=True)
    if repository.is_attached(connection, key_id, now):
        raise Conflict(
            "external key is attached: a user profile's data controls use it, or retired it and it has not expired"
        )
    repository.delete_key(connection, key_id)


def validate(connection: Connection, organization_id: str, key_id: str) -> dict[str, Any]:
    """The round trip's outcome, as the operator decided it (`success` unless set otherwise)."""
    row = retrieve(connection, organization_id, key_id)
    return validation_view(row)


def set_validation(
    connection: Connection, organization_id: str, key_id: str, outcome: ValidationOutcome, now: datetime
) -> dict[str, Any]:
    """The operator decides what the key management service answers from now on. A key that stops
    working queues `external_key.failed`; one that works again, `external_key.recovered`."""
    row = retrieve(connection, organization_id, key_id, for_update=True)
    if (row.validation_status, row.validation_error) == (outcome.status, outcome.error):
        return validation_view(row)
    values: dict[str, Any] = {"validation_status": outcome.status, "validation_error": outcome.error}
    if row.validation_status != outcome.status:
        values["validation_changed_at"] = now
        event = outbox.EXTERNAL_KEY_FAILED if outcome.status == "failure" else outbox.EXTERNAL_KEY_RECOVERED
        outbox.record_external_key_event(connection, organization_id, event, key_id, row.user_profile_id, now)
    repository.update_key(connection, key_id, values)
    return validation_view(retrieve(connection, organization_id, key_id))


def validation_view(row: Row[Any]) -> dict[str, Any]:
    return {"type": "external_key_validation", "status": row.validation_status, "error": row.validation_error}
