"""How an import record is checked and turned back into table rows.

Each kind is checked with the rules the API applies to the same values (lengths, formats, enums),
plus what the database would otherwise enforce (unique IDs and key hashes, references to records
earlier in the file, within the same organization), so every problem is reported with its line.
This module dispatches on the kind and checks accounts and server secrets; profiles and the
operator's objects are in profile_validation.py, webhooks in webhook_validation.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from uprof.accounts.models import api_key, organization, workspace
from uprof.crypto.server_keys import server_secret
from uprof.portability import data_control_records
from uprof.portability import profile_validation as profiles
from uprof.portability import webhook_validation as webhooks
from uprof.portability.fields import Fields, Invalid
from uprof.portability.references import Rows, Seen, organization_of

KEY_KINDS = ("standard", "workspace", "admin")
WORKSPACE_ID = re.compile(r"wrkspc_[A-Za-z0-9]{1,64}", re.ASCII)
KEY_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)
HINT = re.compile(r"[0-9A-Za-z]{4}", re.ASCII)
SECRET_NAME = re.compile(r"[a-z0-9_]{1,64}", re.ASCII)
SECRET_VALUE = re.compile(r"(?:[0-9a-f]{2}){1,64}", re.ASCII)


def parse(kind: str, record: Mapping[str, Any], seen: Seen) -> Rows:
    """The rows that store `record`; raise Invalid naming the first problem."""
    return PARSERS[kind](record, seen)


def _organization(record: Mapping[str, Any], seen: Seen) -> Rows:
    fields = Fields(record, ("id", "name", "is_default", "created_at"), optional=("is_default",))
    identifier = fields.raw("id")
    try:
        canonical = isinstance(identifier, str) and str(uuid.UUID(identifier)) == identifier
    except ValueError:
        canonical = False
    if not canonical:
        raise Invalid("id: must be a UUID in lower-case hexadecimal with hyphens")
    if identifier in seen.organizations:
        raise Invalid(f"id: {identifier} appears twice")
    name = fields.text("name", 1, 100)
    if name in seen.organization_names:
        raise Invalid(f"name: {name!r} appears twice")
    # Files written without `is_default` mark the organization named "default".
    is_default = fields.flag("is_default") if fields.has("is_default") else name == "default"
    if is_default and seen.has_default:
        raise Invalid("is_default: only one organization can be the default one")
    created_at = fields.time("created_at")
    seen.organizations.add(identifier)
    seen.organization_names.add(name)
    seen.has_default = seen.has_default or is_default
    row = {"id": identifier, "name": name, "is_default": is_default, "created_at": created_at}
    return [(organization, row)]


def _workspace(record: Mapping[str, Any], seen: Seen) -> Rows:
    fields = Fields(record, ("organization_id", "id", "created_at"))
    organization_id = organization_of(fields, seen)
    identifier = fields.pattern("id", WORKSPACE_ID, "wrkspc_ followed by 1-64 ASCII letters or digits")
    if (organization_id, identifier) in seen.workspaces:
        raise Invalid(f"id: {identifier} appears twice in the organization")
    seen.workspaces.add((organization_id, identifier))
    row = {"organization_id": organization_id, "id": identifier, "created_at": fields.time("created_at")}
    return [(workspace, row)]


def _api_key(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "name", "key_kind", "workspace_id", "key_sha256", "hint")
    fields = Fields(record, (*names, "created_at", "last_used_at", "revoked_at"))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "apikey_", api_key)
    seen.claim(api_key, identifier)
    name = fields.text("name", 0, 100)
    kind = fields.choice("key_kind", KEY_KINDS)
    workspace_id = fields.raw("workspace_id")
    if (workspace_id is not None) != (kind == "workspace"):
        raise Invalid("workspace_id: must be set for a workspace key and null for any other")
    if workspace_id is not None and (organization_id, str(workspace_id)) not in seen.workspaces:
        raise Invalid("workspace_id: no workspace with this ID in the organization earlier in the file")
    digest = fields.pattern("key_sha256", KEY_SHA256, "64 lower-case hexadecimal digits")
    if digest in seen.key_hashes:
        raise Invalid("key_sha256: appears twice")
    seen.key_hashes.add(digest)
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "workspace_id": workspace_id,
        "name": name,
        "kind": kind,
        "key_sha256": digest,
        "hint": fields.pattern("hint", HINT, "the last 4 characters of the key"),
        "created_at": fields.time("created_at"),
        "last_used_at": fields.optional_time("last_used_at"),
        "revoked_at": fields.optional_time("revoked_at"),
    }
    return [(api_key, row)]


def _server_secret(record: Mapping[str, Any], seen: Seen) -> Rows:
    fields = Fields(record, ("name", "value"))
    name = fields.pattern("name", SECRET_NAME, "1-64 lower-case letters, digits or underscores")
    if name in seen.secret_names:
        raise Invalid(f"name: {name} appears twice")
    seen.secret_names.add(name)
    value = fields.pattern("value", SECRET_VALUE, "2 to 128 lower-case hexadecimal digits")
    return [(server_secret, {"name": name, "value": value})]


PARSERS: dict[str, Callable[[Mapping[str, Any], Seen], Rows]] = {
    "organization": _organization,
    "workspace": _workspace,
    "api_key": _api_key,
    "user_profile": profiles.parse_user_profile,
    "enrollment": profiles.parse_enrollment,
    "enforcement_action": profiles.parse_enforcement_action,
    "identity_check": profiles.parse_identity_check,
    "external_key": data_control_records.parse_external_key,
    "data_controls": data_control_records.parse_data_controls,
    "webhook_endpoint": webhooks.parse_webhook_endpoint,
    "webhook_event": webhooks.parse_webhook_event,
    "webhook_delivery": webhooks.parse_webhook_delivery,
    "server_secret": _server_secret,
}
