"""Use cases of webhook endpoint management (docs/reference/webhooks.md §3): create, retrieve, update, delete, list,
regenerate the signing secret; and resealing the stored secrets at start-up. Raises the API errors
named per function.

Signing secrets are stored sealed (secret_box.py): only `create` and `regenerate_secret` see them
in plaintext, to return them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from uprof.crypto.sealing import SecretBox, SecretUnreadable, is_plaintext
from uprof.http.errors import InvalidRequest, NotFound
from uprof.ids import new_id
from uprof.timestamps import to_micros
from uprof.webhooks import repository
from uprof.webhooks.records import WebhookEndpoint
from uprof.webhooks.schemas import EndpointListQuery, NewEndpoint
from uprof.webhooks.signing import new_secret

MAX_ENDPOINTS = 32
# After a regeneration the previous secret keeps signing this long, beside the new one.
SECRET_OVERLAP = timedelta(hours=24)


def endpoint_not_found() -> NotFound:
    return NotFound("webhook endpoint not found")


@dataclass(frozen=True)
class CreatedEndpoint:
    row: WebhookEndpoint
    signing_secret: str  # in plaintext, for the one response that shows it


def create(
    connection: Connection, organization_id: str, new: NewEndpoint, now: datetime, box: SecretBox
) -> CreatedEndpoint:
    """Store an enabled endpoint with a fresh secret, sealed; return its row and the secret.

    Raises InvalidRequest when the organization already has the maximum number of endpoints.
    """
    repository.lock_organization(connection, organization_id)
    if repository.count_endpoints(connection, organization_id) >= MAX_ENDPOINTS:
        raise InvalidRequest(f"body: the organization already has {MAX_ENDPOINTS} webhook endpoints, the maximum")
    endpoint_id = new_id("whep_")
    secret = new_secret()
    repository.insert_endpoint(
        connection,
        id=endpoint_id,
        organization_id=organization_id,
        name=new.name,
        description=new.description,
        url=new.url,
        enabled_events=new.enabled_events,
        state="enabled",
        disabled_reason="",
        signing_secret=box.seal(secret),
        previous_signing_secret=None,
        previous_secret_expires_at=None,
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    return CreatedEndpoint(retrieve(connection, organization_id, endpoint_id), secret)


def retrieve(connection: Connection, organization_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint. Raises NotFound for unknown, deleted and foreign IDs alike."""
    row = repository.get_endpoint(connection, organization_id, endpoint_id)
    if row is None:
        raise endpoint_not_found()
    return row


def update(
    connection: Connection, organization_id: str, endpoint_id: str, changes: dict[str, Any], now: datetime
) -> WebhookEndpoint:
    """Apply the sent fields; `updated_at` moves only on a real change. Disabling cancels pending
    deliveries; either state clears `disabled_reason`. Raises NotFound."""
    row = _locked(connection, organization_id, endpoint_id)
    values = {field: value for field, value in changes.items() if field != "state" and getattr(row, field) != value}
    if "state" in changes:
        if changes["state"] != row.state:
            values["state"] = changes["state"]
            # A re-enabled endpoint starts a fresh count towards automatic disabling.
            values["consecutive_failures"] = 0
        if row.disabled_reason != "":
            values["disabled_reason"] = ""
    if values:
        values["updated_at"] = now
        repository.update_endpoint(connection, endpoint_id, values)
    if values.get("state") == "disabled":
        repository.cancel_pending(connection, endpoint_id, now)
    return retrieve(connection, organization_id, endpoint_id)


def delete(connection: Connection, organization_id: str, endpoint_id: str) -> None:
    """Delete the endpoint, cancelling what was pending and removing its delivery log. Raises NotFound."""
    _locked(connection, organization_id, endpoint_id)
    repository.delete_endpoint(connection, endpoint_id)


def regenerate_secret(
    connection: Connection, organization_id: str, endpoint_id: str, now: datetime, box: SecretBox
) -> str:
    """Replace the secret and return the new one; the replaced secret co-signs for the overlap window
    (an older previous secret is dropped at once). Raises NotFound."""
    row = _locked(connection, organization_id, endpoint_id)
    secret = new_secret()
    try:
        previous: str | None = box.reseal(row.signing_secret)
    except SecretUnreadable:
        # It could not sign anyway; regenerating is how an endpoint recovers from a lost key.
        previous = None
    repository.update_endpoint(
        connection,
        endpoint_id,
        {
            "signing_secret": box.seal(secret),
            "previous_signing_secret": previous,
            "previous_secret_expires_at": None if previous is None else now + SECRET_OVERLAP,
            "updated_at": now,
        },
    )
    return secret


@dataclass(frozen=True)
class Resealed:
    count: int  # stored secrets now sealed with the first key that were not before
    unreadable: list[str]  # IDs of endpoints with a stored secret that no configured key decrypts


def reseal_secrets(connection: Connection, box: SecretBox) -> Resealed:
    """Seal every stored secret with the first key: plaintext ones stored before secrets were encrypted,
    and ones sealed with an older key (which completes a key rotation). Unreadable ones stay as they are.
    """
    count, unreadable = 0, []
    for row in repository.stored_secrets(connection):
        for column in ("signing_secret", "previous_signing_secret"):
            stored = row._mapping[column]
            if stored is None or box.is_current(stored):
                continue
            try:
                resealed = box.reseal(stored)
            except SecretUnreadable:
                unreadable.append(row.id)
                continue
            repository.replace_stored_secret(connection, row.id, column, stored, resealed)
            count += 1
    return Resealed(count, sorted(set(unreadable)))


def holds_sealed_secrets(connection: Connection) -> bool:
    """Whether any stored secret is encrypted, i.e. needs the key it was sealed with."""
    return any(
        stored is not None and not is_plaintext(stored)
        for row in repository.stored_secrets(connection)
        for stored in (row.signing_secret, row.previous_signing_secret)
    )


@dataclass(frozen=True)
class EndpointPage:
    rows: list[WebhookEndpoint]
    has_more: bool


def list_page(connection: Connection, organization_id: str, query: EndpointListQuery) -> EndpointPage:
    """One page of endpoints as docs/reference/webhooks.md §3.3 describes; `before_id` counts from the start of the
    list.

    Raises InvalidRequest when the cursor ID names no endpoint of the organization.
    """
    after = _position(connection, organization_id, query.after_id, "after_id")
    before = _position(connection, organization_id, query.before_id, "before_id")
    rows = repository.endpoint_page(
        connection, organization_id, descending=query.descending, after=after, before=before, limit=query.limit + 1
    )
    return EndpointPage(rows[: query.limit], len(rows) > query.limit)


def _position(
    connection: Connection, organization_id: str, endpoint_id: str | None, name: str
) -> tuple[int, str] | None:
    if endpoint_id is None:
        return None
    row = repository.get_endpoint(connection, organization_id, endpoint_id)
    if row is None:
        raise InvalidRequest(f"{name}: no webhook endpoint with this ID")
    return (to_micros(row.created_at), row.id)


def _locked(connection: Connection, organization_id: str, endpoint_id: str) -> WebhookEndpoint:
    row = repository.get_endpoint(connection, organization_id, endpoint_id, for_update=True)
    if row is None:
        raise endpoint_not_found()
    return row
