"""The records of an export file (docs/reference/cli.md §6) in file order, and how a stored row becomes one.

Every record is one compact JSON object on one line, with `kind` first. Records of one kind are
sorted by ID in code-point order, so two exports of the same data are byte-identical (apart from
the header's `exported_at`) whatever the backend. Pure functions only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from uprof.profiles.schemas import DETAIL_KEYS
from uprof.provider.records import Enrollment
from uprof.provider.serializers import enrollment_view, identity_check_view, stored_action_view
from uprof.standing.records import EnforcementAction, IdentityCheck
from uprof.timestamps import format_timestamp
from uprof.webhooks.records import WebhookEndpoint
from uprof.webhooks.serializers import attempt_view, endpoint_view

# A stored row, as SQLAlchemy returns it (a RowMapping) or as a dict.
Row = Mapping[Any, Any]

FORMAT = "uprof-export"
VERSION = 1
HEADER = "header"
FOOTER = "footer"

# The data kinds in the order they appear in a file. `server_secret` is uprof's addition to the
# list of docs/reference/cli.md §6: the keys that sign page cursors and page forms, so cursors survive an import.
DATA_KINDS = (
    "organization",
    "workspace",
    "api_key",
    "user_profile",
    "enrollment",
    "enforcement_action",
    "identity_check",
    "external_key",
    "data_controls",
    "webhook_endpoint",
    "webhook_event",
    "webhook_delivery",
    "server_secret",
)


def encode(record: Mapping[str, Any]) -> bytes:
    """One line of the file: compact UTF-8 JSON and a newline."""
    return orjson.dumps(record) + b"\n"


def header(exported_at: datetime) -> dict[str, Any]:
    return {"kind": HEADER, "format": FORMAT, "version": VERSION, "exported_at": format_timestamp(exported_at)}


def footer(counts: Mapping[str, int]) -> dict[str, Any]:
    return {"kind": FOOTER, "counts": {kind: counts.get(kind, 0) for kind in DATA_KINDS}}


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def organization(row: Row) -> dict[str, Any]:
    return {
        "kind": "organization",
        "id": row["id"],
        "name": row["name"],
        "is_default": row["is_default"],
        "created_at": format_timestamp(row["created_at"]),
    }


def workspace(row: Row) -> dict[str, Any]:
    return {
        "kind": "workspace",
        "organization_id": row["organization_id"],
        "id": row["id"],
        "created_at": format_timestamp(row["created_at"]),
    }


def api_key(row: Row) -> dict[str, Any]:
    # The key's own kind is `key_kind`: `kind` names the record.
    return {
        "kind": "api_key",
        "organization_id": row["organization_id"],
        "id": row["id"],
        "name": row["name"],
        "key_kind": row["kind"],
        "workspace_id": row["workspace_id"],
        "key_sha256": row["key_sha256"],
        "hint": row["hint"],
        "created_at": format_timestamp(row["created_at"]),
        "last_used_at": _time(row["last_used_at"]),
        "revoked_at": _time(row["revoked_at"]),
    }


def user_profile(row: Row) -> dict[str, Any]:
    details = {key: row[key] for key in DETAIL_KEYS}
    details["onboarded_at"] = _time(details["onboarded_at"])
    return {
        "kind": "user_profile",
        "organization_id": row["organization_id"],
        "id": row["id"],
        "name": row["name"],
        "access_type": row["access_type"],
        "external_user_details": details,
        "metadata": row["metadata"],
        "programs": {"cyber": row["cyber"], "efs": row["efs"]},
        "created_at": format_timestamp(row["created_at"]),
        "updated_at": format_timestamp(row["updated_at"]),
    }


def enrollment(row: Row) -> dict[str, Any]:
    return {"kind": "enrollment", "organization_id": row["organization_id"], **enrollment_view(Enrollment.of(row))}


def enforcement_action(row: Row, now: datetime) -> dict[str, Any]:
    """The admin view as of `now`; `check_submitted` on the row says whether an identity check awaits a decision."""
    view = stored_action_view(EnforcementAction.of(row), bool(row["check_submitted"]), now)
    return {"kind": "enforcement_action", "organization_id": row["organization_id"], **view}


def identity_check(row: Row) -> dict[str, Any]:
    return {
        "kind": "identity_check",
        "organization_id": row["organization_id"],
        **identity_check_view(IdentityCheck.of(row)),
    }


def webhook_endpoint(row: Row, open_secret: Callable[[str], str]) -> dict[str, Any]:
    """The endpoint with its secrets in plaintext (docs/reference/cli.md §6): `open_secret` decrypts a stored one."""
    previous = row["previous_signing_secret"]
    return {
        "kind": "webhook_endpoint",
        "organization_id": row["organization_id"],
        **endpoint_view(WebhookEndpoint.of(row)),
        "signing_secret": open_secret(row["signing_secret"]),
        "previous_signing_secret": None if previous is None else open_secret(previous),
        "previous_secret_expires_at": _time(row["previous_secret_expires_at"]),
        "consecutive_failures": row["consecutive_failures"],
    }


def webhook_event(row: Row) -> dict[str, Any]:
    return {
        "kind": "webhook_event",
        "organization_id": row["organization_id"],
        "id": row["id"],
        "created_at": format_timestamp(row["created_at"]),
        "type": row["type"],
        "body": row["body"],
    }


def webhook_delivery(row: Row, attempts: Sequence[Row]) -> dict[str, Any]:
    """The delivery of docs/reference/webhooks.md §7 with its attempts, plus the state that schedules it; never its
    lease."""
    return {
        "kind": "webhook_delivery",
        "organization_id": row["organization_id"],
        "id": row["id"],
        "type": "webhook_delivery",
        "endpoint_id": row["endpoint_id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "status": row["status"],
        "attempt_count": row["attempt_count"],
        "budget_start": row["budget_start"],
        "next_attempt_at": _time(row["next_attempt_at"]),
        "created_at": format_timestamp(row["created_at"]),
        "finished_at": _time(row["finished_at"]),
        "attempts": [attempt_view(attempt) for attempt in attempts],
    }


def server_secret(row: Row) -> dict[str, Any]:
    return {"kind": "server_secret", "name": row["name"], "value": row["value"]}
