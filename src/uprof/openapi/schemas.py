"""JSON Schemas of the profile API's wire shapes, per revision (docs/reference/profiles.md §2–§4)."""

from __future__ import annotations

from typing import Any

from uprof.http.revision_choice import Revision
from uprof.profiles import revisions as shapes
from uprof.profiles.schemas import (
    ACCESS_TYPES,
    ACCOUNT_STATUSES,
    DETAIL_KEYS,
    DETAILS,
    ENFORCEMENT_STATUSES,
    ENTITY_TYPES,
    MAX_METADATA_KEYS,
    METADATA_KEY,
    METADATA_VALUE,
    RELATIONSHIPS,
    TEXT,
)
from uprof.standing.enforcement import ACTION_TYPES, REASONS
from uprof.standing.programs import ITEMS, STATUSES

TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_TEXT = {"type": ["string", "null"]}


def enum(values: tuple[str, ...], *, nullable: bool = False) -> dict[str, Any]:
    return {"enum": [*values, None] if nullable else list(values)}


def identifier(prefix: str) -> dict[str, Any]:
    """An object ID: `prefix` and 24 base62 characters, or fewer for one brought in by `uprof import`."""
    return {"type": "string", "pattern": f"^{prefix}[0-9A-Za-z]{{1,24}}$"}


def ref(name: str) -> dict[str, Any]:
    """A reference to `components.schemas.<name>`."""
    return {"$ref": f"#/components/schemas/{name}"}


def page(item: dict[str, Any]) -> dict[str, Any]:
    """A list answer of the profile API and the Admin API: items and the opaque cursor of the next page."""
    return closed({"data": {"type": "array", "items": item}, "next_page": NULLABLE_TEXT})


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter (a list schema: the parameter may repeat)."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def listing_parameters(default_order: str | None) -> list[dict[str, Any]]:
    """`limit` and `page` of an Admin API list (docs/reference/provider.md §5.1), and `order` where it has one."""
    parameters = [
        query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."),
        query("page", {"type": "string"}, "The `next_page` value of the previous page."),
    ]
    if default_order is not None:
        parameters.append(query("order", {"enum": ["asc", "desc"], "default": default_order}, "Sort direction."))
    return parameters


def closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object with exactly these keys (all required unless `required` says otherwise)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _statuses(names: tuple[str, ...]) -> dict[str, Any]:
    return closed({name: closed({"status": enum(("active", "inactive"))}) for name in names}, required=[])


METADATA = {
    "type": "object",
    "maxProperties": MAX_METADATA_KEYS,
    "propertyNames": {"minLength": METADATA_KEY.shortest, "maxLength": METADATA_KEY.longest},
    "additionalProperties": {"type": "string", "maxLength": METADATA_VALUE.longest},
}
EXTERNAL_USER_DETAILS = closed(
    {
        "account_status": enum(ACCOUNT_STATUSES, nullable=True),
        "country": {"type": ["string", "null"], "pattern": DETAILS["country"].schema()["pattern"]},
        "email_hash": NULLABLE_TEXT,
        "entity_type": enum(ENTITY_TYPES, nullable=True),
        "name_hash": NULLABLE_TEXT,
        "onboarded_at": NULLABLE_TIMESTAMP,
        "reference_id": NULLABLE_TEXT,
    }
)
TRUST_GRANTS = {
    "type": "object",
    "propertyNames": {"enum": ["cyber", "efs"]},
    "additionalProperties": closed({"status": enum(STATUSES)}),
}
CYBER = {
    "oneOf": [
        {"type": "null"},
        closed(
            {
                "status": enum(STATUSES),
                "tiers": _statuses(ITEMS["cyber"]),
                "requirements": {
                    "oneOf": [
                        {"type": "null"},
                        closed({"data_retention": {"type": "boolean"}, "human_review": {"type": "boolean"}}),
                    ]
                },
            }
        ),
    ]
}
EFS = {
    "oneOf": [
        {"type": "null"},
        closed({"status": enum(STATUSES), "features": _statuses(ITEMS["efs"])}),
    ]
}
ENFORCEMENT_ACTION = closed(
    {
        "id": identifier("enac_"),
        "type": enum(ACTION_TYPES),
        "action": enum(("verify",), nullable=True),
        "expires_at": NULLABLE_TIMESTAMP,
        "opened_at": TIMESTAMP,
        "reason": enum(REASONS),
    }
)

# The schema of every response field of any revision (docs/reference/profiles.md §2.1). Which of them a revision shows,
# and in what order, is not listed here: `profile` reads it off what the server renders.
RESPONSE_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "id": identifier("uprof_"),
    "type": {"const": "user_profile"},
    "external_id": NULLABLE_TEXT,
    "name": NULLABLE_TEXT,
    "relationship": enum(RELATIONSHIPS),
    "access_type": enum(ACCESS_TYPES),
    "external_user_onboarded_at": NULLABLE_TIMESTAMP,
    "external_user_details": EXTERNAL_USER_DETAILS,
    "metadata": METADATA,
    "trust_grants": TRUST_GRANTS,
    "programs": closed({"cyber": CYBER, "efs": EFS}),
    "enforcement_status": enum(ENFORCEMENT_STATUSES),
    "enforcement_actions": {"type": "array", "items": ENFORCEMENT_ACTION},
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}

# Request schemas of the fields in shapes.ACCEPTED_FIELDS, for create and for update (docs/reference/profiles.md §3.1,
# §3.3, §3.4): on update `null` leaves `relationship` and `access_type` unchanged, no detail may be
# cleared, and a metadata value of "" removes its key.
TEXT_1_255 = TEXT.schema()
DETAIL_REQUEST = {key: TIMESTAMP if key == "onboarded_at" else DETAILS[key].schema() for key in DETAIL_KEYS}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return enum(tuple(schema["enum"]), nullable=True)
    return {**schema, "type": [schema["type"], "null"]}


def _request_fields(*, creating: bool) -> dict[str, dict[str, Any]]:
    details = {
        key: _nullable(schema) if creating and key != "onboarded_at" else schema
        for key, schema in DETAIL_REQUEST.items()
    }
    value = {"type": "string", "maxLength": METADATA_VALUE.longest, **({"minLength": 1} if creating else {})}
    return {
        "name": _nullable(TEXT_1_255),
        "external_id": _nullable(TEXT_1_255),
        "relationship": enum(RELATIONSHIPS, nullable=not creating),
        "access_type": enum(ACCESS_TYPES, nullable=not creating),
        "external_user_onboarded_at": TIMESTAMP,
        "external_user_details": {"type": "object", "properties": details, "additionalProperties": False},
        "metadata": {**METADATA, "additionalProperties": value},
    }


REQUEST_FIELDS = {"create": _request_fields(creating=True), "update": _request_fields(creating=False)}


def profile(revision: Revision) -> dict[str, Any]:
    """The profile object of `revision`: exactly the fields `render` gives it, in the same order."""
    return closed({name: RESPONSE_FIELD_SCHEMAS[name] for name in shapes.response_fields(revision)})


def profile_body(revision: Revision, *, creating: bool) -> dict[str, Any]:
    """The create (`creating`) or update body that `revision` accepts."""
    fields = REQUEST_FIELDS["create" if creating else "update"]
    accepted = {name: fields[name] for name, where in shapes.ACCEPTED_FIELDS.items() if revision in where}
    return {"type": "object", "properties": accepted, "additionalProperties": False}


ERROR = closed(
    {
        "type": {"const": "error"},
        "error": closed(
            {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "details": closed({"error_code": {"type": "string"}}),
            },
            required=["type", "message"],
        ),
        "request_id": {"type": "string", "pattern": "^req_[0-9A-Za-z]{24}$"},
    }
)


def link(kind: str) -> dict[str, Any]:
    """An enrollment or action URL answer (docs/reference/profiles.md §4.6, §4.7)."""
    return closed({"type": {"const": kind}, "url": {"type": "string", "format": "uri"}, "expires_at": TIMESTAMP})


DELETED = closed({"id": {"type": "string"}, "type": {"const": "user_profile_deleted"}})
ACTION_URL_BODY = closed({"action": closed({"type": {"const": "enroll_end_user"}})})
