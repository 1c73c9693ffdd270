"""Validation of Admin API bodies and queries (docs/reference/provider.md §5); the output is plain values for the
service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from uprof.http.errors import InvalidRequest, member_path, one_of
from uprof.profiles.schemas import parse_timestamp
from uprof.standing import programs
from uprof.standing.enforcement import ACTION_TYPES, REASONS

MAX_NOTE = 1000
ENROLLMENT_STATUSES = ("pending", "approved", "rejected", "superseded")
SOURCES = ("enrollment_url", "portal")
CHECK_STATUSES = ("submitted", "approved", "rejected")
ACTION_STATES = ("open", "resolved", "all")


def only_fields(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise InvalidRequest(f"{member_path('', key)}: unknown field")


def note(body: Mapping[str, Any]) -> str | None:
    value = body.get("note")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        raise InvalidRequest(f"note: must be at most {MAX_NOTE} characters")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequest(f"{path}: must be a boolean")
    return value


def requirements(body: Mapping[str, Any]) -> dict[str, bool] | None:
    value = body.get("requirements")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("requirements: must be an object")
    for key in value:
        if key not in programs.DEFAULT_REQUIREMENTS:
            raise InvalidRequest(f"{member_path('requirements', key)}: unknown field")
    return {key: _boolean(item, f"requirements.{key}") for key, item in value.items()}


@dataclass(frozen=True)
class ProgramChange:
    status: str | None
    items: dict[str, str] | None
    requirements: dict[str, bool] | None


def program_change(body: Mapping[str, Any], program: str) -> ProgramChange:
    """Body of `POST /v1/admin/user_profiles/{id}/programs/{program}`."""
    field = programs.ITEM_FIELD[program]
    allowed = ("status", field, "requirements") if program == "cyber" else ("status", field)
    only_fields(body, allowed)
    if not any(key in body for key in allowed):
        raise InvalidRequest(f"body: must set at least one of {', '.join(allowed)}")
    status = body.get("status")
    if "status" in body and status not in programs.STATUSES:
        raise InvalidRequest(f"status: {one_of(programs.STATUSES)}")
    items = None
    if field in body:
        value = body[field]
        if not isinstance(value, dict):
            raise InvalidRequest(f"{field}: must be an object")
        for key, state in value.items():
            if key not in programs.ITEMS[program]:
                raise InvalidRequest(f"{member_path(field, key)}: unknown field")
            if state not in ("active", "inactive"):
                raise InvalidRequest(f"{field}.{key}: must be one of active, inactive")
        items = dict(value)
    return ProgramChange(status, items, requirements(body))


@dataclass(frozen=True)
class Approval:
    items: list[str] | None
    requirements: dict[str, bool] | None
    note: str | None


def approval(body: Mapping[str, Any], program: str) -> Approval:
    """Body of `POST /v1/admin/enrollments/{id}/approve` for an enrollment in `program`."""
    only_fields(body, ("tiers", "features", "requirements", "note"))
    field = programs.ITEM_FIELD[program]
    other = "features" if field == "tiers" else "tiers"
    if other in body:
        raise InvalidRequest(f"{other}: not accepted for a{'n' if program == 'efs' else ''} {program} enrollment")
    if program == "efs" and "requirements" in body:
        raise InvalidRequest("requirements: not accepted for an efs enrollment")
    items = None
    if field in body:
        value = body[field]
        if not isinstance(value, list):
            raise InvalidRequest(f"{field}: must be an array")
        for index, item in enumerate(value):
            if item not in programs.ITEMS[program]:
                raise InvalidRequest(f"{field}[{index}]: {one_of(programs.ITEMS[program])}")
        items = list(dict.fromkeys(value))
    return Approval(items, requirements(body), note(body))


@dataclass(frozen=True)
class NewAction:
    type: str
    reason: str
    verifiable: bool
    expires_at: datetime | None
    note: str | None


def new_action(body: Mapping[str, Any], now: datetime) -> NewAction:
    """Body of `POST /v1/admin/user_profiles/{id}/enforcement_actions` (docs/reference/provider.md §5.8)."""
    only_fields(body, ("type", "reason", "verifiable", "expires_at", "note"))
    action_type = body.get("type")
    if action_type not in ACTION_TYPES:
        raise InvalidRequest(f"type: {one_of(ACTION_TYPES)}")
    reason = body.get("reason")
    if reason not in REASONS:
        raise InvalidRequest(f"reason: {one_of(REASONS)}")
    verifiable = False
    if body.get("verifiable") is not None:
        verifiable = _boolean(body["verifiable"], "verifiable")
        if action_type == "ban" and verifiable:
            raise InvalidRequest("verifiable: not allowed for a ban")
    expires_at = None
    if body.get("expires_at") is not None:
        if action_type == "ban":
            raise InvalidRequest("expires_at: not allowed for a ban")
        if reason == "account_compromise":
            raise InvalidRequest("expires_at: must be null when reason is account_compromise")
        value = body["expires_at"]
        if not isinstance(value, str):
            raise InvalidRequest("expires_at: must be an RFC 3339 timestamp")
        expires_at = parse_timestamp(value)
        if expires_at is None:
            raise InvalidRequest("expires_at: must be a complete RFC 3339 timestamp with a UTC offset")
        if expires_at <= now:
            raise InvalidRequest("expires_at: must be in the future")
    return NewAction(action_type, reason, verifiable, expires_at, note(body))


def identity_rejection(body: Mapping[str, Any]) -> tuple[bool, str | None]:
    only_fields(body, ("allow_retry", "note"))
    allow_retry = True if body.get("allow_retry") is None else _boolean(body["allow_retry"], "allow_retry")
    return allow_retry, note(body)


def with_note_only(body: Mapping[str, Any]) -> str | None:
    only_fields(body, ("note",))
    return note(body)
