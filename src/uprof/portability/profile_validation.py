"""Checks of the profile records of an import: user_profile and the operator's objects
(docs/reference/provider.md §5.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uprof.http.fields import COUNTRY_CODE
from uprof.portability.fields import Fields, Invalid, check_object, check_text, check_time, one_of
from uprof.portability.references import Rows, Seen, organization_of, profile_of
from uprof.profiles.models import user_profile
from uprof.profiles.schemas import (
    ACCESS_TYPES,
    DETAIL_KEYS,
    DETAILS,
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LENGTH,
    TEXT,
)
from uprof.profiles.service import name_columns
from uprof.provider import submissions
from uprof.provider.models import enrollment
from uprof.provider.schemas import CHECK_STATUSES, ENROLLMENT_STATUSES, MAX_NOTE, SOURCES
from uprof.standing import programs
from uprof.standing.enforcement import ACTION_TYPES, REASONS
from uprof.standing.models import enforcement_action, identity_check

ACTION_STEPS = ("verify",)
RESOLUTIONS = ("operator", "identity_check", "expired")
ITEM_STATES = ("active", "inactive")


def parse_user_profile(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "name", "access_type", "external_user_details", "metadata", "programs")
    fields = Fields(record, (*names, "created_at", "updated_at"))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "uprof_", user_profile)
    seen.claim(user_profile, identifier, organization_id=organization_id)
    name = fields.optional_text("name", TEXT.shortest, TEXT.longest or 0)
    row: dict[str, Any] = {
        "id": identifier,
        "organization_id": organization_id,
        "name": name,
        **name_columns(name),
        "access_type": fields.choice("access_type", ACCESS_TYPES),
        **_details(fields.raw("external_user_details")),
        "metadata": _metadata(fields.raw("metadata")),
        **_programs(fields.raw("programs")),
        "created_at": fields.time("created_at"),
        "updated_at": fields.time("updated_at"),
    }
    return [(user_profile, row)]


def _details(value: Any) -> dict[str, Any]:
    details = check_object(value, "external_user_details", DETAIL_KEYS)
    stored: dict[str, Any] = {}
    for key in DETAIL_KEYS:
        item, path = details[key], f"external_user_details.{key}"
        if item is None:
            stored[key] = None
        elif key == "onboarded_at":
            stored[key] = check_time(item, path)
        else:
            problem = DETAILS[key].problem(item)
            if problem is not None:
                raise Invalid(f"{path}: {problem}")
            stored[key] = item
    return stored


def _metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid("metadata: must be an object")
    if len(value) > MAX_METADATA_KEYS:
        raise Invalid(f"metadata: at most {MAX_METADATA_KEYS} keys are allowed, got {len(value)}")
    for key, item in value.items():
        if not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            raise Invalid(f"metadata: key {key!r} must be 1 to {MAX_METADATA_KEY_LENGTH} characters")
        check_text(item, f"metadata.{key}", 1, MAX_METADATA_VALUE_LENGTH)
    return value


def _programs(value: Any) -> dict[str, Any]:
    given = check_object(value, "programs", programs.PROGRAMS)
    return {program: _standing(given[program], program) for program in programs.PROGRAMS}


def _standing(value: Any, program: str) -> dict[str, Any] | None:
    """Stored standing (standing/programs.py), kept as written so that a re-export is identical."""
    if value is None:
        return None
    path = f"programs.{program}"
    item_field = programs.ITEM_FIELD[program]
    keys = ("status", item_field, "requirements") if program == "cyber" else ("status", item_field)
    stored = check_object(value, path, keys)
    if stored["status"] not in programs.STATUSES:
        raise Invalid(f"{path}.status: {one_of(programs.STATUSES)}")
    items = check_object(stored[item_field], f"{path}.{item_field}", programs.ITEMS[program])
    for name, state in items.items():
        if state not in ITEM_STATES:
            raise Invalid(f"{path}.{item_field}.{name}: {one_of(ITEM_STATES)}")
        if state == "active" and stored["status"] != "active":
            raise Invalid(f"{path}.{item_field}.{name}: can be active only when status is active")
    if program == "cyber":
        requirements = check_object(
            stored["requirements"], f"{path}.requirements", tuple(programs.DEFAULT_REQUIREMENTS)
        )
        for name, flag in requirements.items():
            if not isinstance(flag, bool):
                raise Invalid(f"{path}.requirements.{name}: must be a boolean")
    return dict(stored)


def parse_enrollment(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "type", "user_profile_id", "program", "status", "source", "requested")
    more = ("use_case", "organization", "contact_email", "submitted_at", "decided_at", "decision_note")
    fields = Fields(record, (*names, *more))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "enr_", enrollment)
    seen.claim(enrollment, identifier)
    fields.constant("type", "enrollment")
    profile_id = profile_of(fields, seen, organization_id)
    program = fields.choice("program", programs.PROGRAMS)
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "user_profile_id": profile_id,
        "program": program,
        "status": fields.choice("status", ENROLLMENT_STATUSES),
        "source": fields.choice("source", SOURCES),
        "requested": _requested(fields.raw("requested"), program),
        "use_case": fields.text("use_case", 1, submissions.MAX_USE_CASE),
        "applicant_organization": fields.optional_text("organization", 0, submissions.MAX_ORGANIZATION),
        "contact_email": _email(fields.optional_text("contact_email", 1, submissions.MAX_EMAIL)),
        "submitted_at": fields.time("submitted_at"),
        "decided_at": fields.optional_time("decided_at"),
        "decision_note": fields.optional_text("decision_note", 0, MAX_NOTE),
    }
    return [(enrollment, row)]


def _requested(value: Any, program: str) -> list[str]:
    allowed = programs.ITEMS[program]
    if not isinstance(value, list) or not value:
        raise Invalid("requested: must list at least one item")
    for index, item in enumerate(value):
        if item not in allowed:
            raise Invalid(f"requested[{index}]: {one_of(allowed)}")
    if len(set(value)) != len(value):
        raise Invalid("requested: lists an item twice")
    return value


def _email(value: str | None) -> str | None:
    if value is not None and "@" not in value:
        raise Invalid("contact_email: must contain @")
    return value


def parse_enforcement_action(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "type", "user_profile_id", "action", "expires_at", "opened_at", "reason")
    fields = Fields(record, (*names, "verifiable", "resolved_at", "resolution", "note"))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "enac_", enforcement_action)
    seen.claim(enforcement_action, identifier)
    kind = fields.choice("type", ACTION_TYPES)
    profile_id = profile_of(fields, seen, organization_id)
    fields.optional_choice("action", ACTION_STEPS)  # derived at read time: checked, not stored
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "user_profile_id": profile_id,
        "type": kind,
        "reason": fields.choice("reason", REASONS),
        "verifiable": fields.flag("verifiable"),
        "expires_at": fields.optional_time("expires_at"),
        "opened_at": fields.time("opened_at"),
        "resolved_at": fields.optional_time("resolved_at"),
        "resolution": fields.optional_choice("resolution", RESOLUTIONS),
        "note": fields.optional_text("note", 0, MAX_NOTE),
    }
    if kind == "ban" and (row["verifiable"] or row["expires_at"] is not None):
        raise Invalid("type: a ban is never verifiable and never expires")
    if (row["resolved_at"] is None) != (row["resolution"] is None):
        raise Invalid("resolution: must be set exactly when resolved_at is set")
    return [(enforcement_action, row)]


def parse_identity_check(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "id", "type", "user_profile_id", "status", "full_name", "country", "document_type")
    fields = Fields(record, (*names, "document_last4", "submitted_at", "decided_at", "decision_note"))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "idc_", identity_check)
    seen.claim(identity_check, identifier)
    fields.constant("type", "identity_check")
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "user_profile_id": profile_of(fields, seen, organization_id),
        "status": fields.choice("status", CHECK_STATUSES),
        "full_name": fields.text("full_name", 1, submissions.MAX_FULL_NAME),
        "country": fields.declared("country", COUNTRY_CODE),
        "document_type": fields.choice("document_type", submissions.DOCUMENT_TYPES),
        "document_last4": fields.declared("document_last4", submissions.DOCUMENT_LAST4),
        "submitted_at": fields.time("submitted_at"),
        "decided_at": fields.optional_time("decided_at"),
        "decision_note": fields.optional_text("decision_note", 0, MAX_NOTE),
    }
    return [(identity_check, row)]
