"""JSON Schemas of the Admin API's objects and bodies (docs/reference/provider.md §5), and the operations that use them.
The delivery log, also under `/v1/admin/`, is in openapi/webhooks.py."""

from __future__ import annotations

from typing import Any

from uprof.http.fields import COUNTRY_CODE
from uprof.http.revision_choice import Revision
from uprof.openapi.schemas import (
    ENFORCEMENT_ACTION,
    NULLABLE_TEXT,
    NULLABLE_TIMESTAMP,
    TIMESTAMP,
    closed,
    enum,
    identifier,
    listing_parameters,
    page,
    profile,
    query,
    ref,
)
from uprof.provider.schemas import ACTION_STATES, CHECK_STATUSES, ENROLLMENT_STATUSES, MAX_NOTE, SOURCES
from uprof.provider.submissions import DOCUMENT_LAST4, DOCUMENT_TYPES, MAX_USE_CASE
from uprof.standing.enforcement import ACTION_TYPES, REASONS
from uprof.standing.programs import DEFAULT_REQUIREMENTS, ITEM_FIELD, ITEMS, PROGRAMS, STATUSES

ADMIN = "/v1/admin"
ENROLLMENT = ADMIN + "/enrollments/{enrollment_id}"
PROFILE = ADMIN + "/user_profiles/{user_profile_id}"
ACTION = ADMIN + "/enforcement_actions/{action_id}"
CHECK = ADMIN + "/identity_checks/{check_id}"
RESOLUTIONS = ("operator", "identity_check", "expired")

PROFILE_ID = identifier("uprof_")
ENROLLMENT_OBJECT = closed(
    {
        "id": identifier("enr_"),
        "type": {"const": "enrollment"},
        "user_profile_id": PROFILE_ID,
        "program": enum(PROGRAMS),
        "status": enum(ENROLLMENT_STATUSES),
        "source": enum(SOURCES),
        # Tiers of a cyber enrollment, features of an efs one.
        "requested": {
            "type": "array",
            "items": enum((*ITEMS["cyber"], *ITEMS["efs"])),
            "minItems": 1,
            "uniqueItems": True,
        },
        "use_case": {"type": "string", "minLength": 1, "maxLength": MAX_USE_CASE},
        "organization": NULLABLE_TEXT,
        "contact_email": NULLABLE_TEXT,
        "submitted_at": TIMESTAMP,
        "decided_at": NULLABLE_TIMESTAMP,
        "decision_note": NULLABLE_TEXT,
    }
)
# The public object of docs/reference/profiles.md §2.5 plus the operator's fields (docs/reference/provider.md §5.2).
ACTION_OBJECT = closed(
    {
        **ENFORCEMENT_ACTION["properties"],
        "user_profile_id": PROFILE_ID,
        "verifiable": {"type": "boolean"},
        "resolved_at": NULLABLE_TIMESTAMP,
        "resolution": enum(RESOLUTIONS, nullable=True),
        "note": NULLABLE_TEXT,
    }
)
CHECK_OBJECT = closed(
    {
        "id": identifier("idc_"),
        "type": {"const": "identity_check"},
        "user_profile_id": PROFILE_ID,
        "status": enum(CHECK_STATUSES),
        "full_name": {"type": "string"},
        "country": COUNTRY_CODE.schema(),
        "document_type": enum(DOCUMENT_TYPES),
        "document_last4": DOCUMENT_LAST4.schema(),
        "submitted_at": TIMESTAMP,
        "decided_at": NULLABLE_TIMESTAMP,
        "decision_note": NULLABLE_TEXT,
    }
)
REQUIREMENTS = closed({name: {"type": "boolean"} for name in DEFAULT_REQUIREMENTS})
OPERATOR_PROFILE = closed(
    {
        "type": {"const": "admin_user_profile"},
        "profile": ref("AdminUserProfileGA"),
        "cyber_requirements": REQUIREMENTS,
        "enrollments": {"type": "array", "items": ref("Enrollment"), "maxItems": 20},
        "enforcement_actions": {"type": "array", "items": ref("AdminEnforcementAction")},
        "identity_checks": {"type": "array", "items": ref("IdentityCheck")},
    }
)

# Request bodies: `null` is accepted wherever the server reads a missing field's default.
NOTE = {"type": ["string", "null"], "maxLength": MAX_NOTE}
NOTE_ONLY = closed({"note": NOTE}, required=[])
REQUIREMENTS_PATCH = {**closed(REQUIREMENTS["properties"], required=[]), "type": ["object", "null"]}
APPROVAL = closed(
    {
        "tiers": {"type": "array", "items": enum(ITEMS["cyber"]), "description": "Cyber only; default `requested`."},
        "requirements": {**REQUIREMENTS_PATCH, "description": "Cyber only; merged over the stored values."},
        "features": {"type": "array", "items": enum(ITEMS["efs"]), "description": "Efs only; default `requested`."},
        "note": NOTE,
    },
    required=[],
)


def _program_change(program: str) -> dict[str, Any]:
    """The body of `POST …/programs/<program>`: at least one field (docs/reference/provider.md §5.7)."""
    fields = {
        "status": enum(STATUSES),
        ITEM_FIELD[program]: closed({item: enum(("active", "inactive")) for item in ITEMS[program]}, required=[]),
    }
    if program == "cyber":
        fields["requirements"] = REQUIREMENTS_PATCH
    return {**closed(fields, required=[]), "minProperties": 1}


PROGRAM_CHANGE = {
    "description": "The fields of the program named in the path: `cyber` takes `tiers` and `requirements`, "
    "`efs` takes `features`.",
    "anyOf": [_program_change(program) for program in PROGRAMS],
}
NEW_ACTION = closed(
    {
        "type": enum(ACTION_TYPES),
        "reason": enum(REASONS),
        "verifiable": {"type": ["boolean", "null"], "description": "Default false; a ban cannot be verifiable."},
        "expires_at": {
            **NULLABLE_TIMESTAMP,
            "description": "In the future; restrictions only, and null when `reason` is `account_compromise`.",
        },
        "note": NOTE,
    },
    required=["type", "reason"],
)
CHECK_REJECTION = closed({"allow_retry": {"type": ["boolean", "null"]}, "note": NOTE}, required=[])


def components() -> dict[str, dict[str, Any]]:
    """The Admin API's entries of `components.schemas`; the same in every revision's document."""
    return {
        # Admin API answers show the profile in the GA shape, fully reported, whatever the revision.
        "AdminUserProfileGA": profile(Revision.GA),
        "AdminUserProfile": OPERATOR_PROFILE,
        "AdminUserProfileList": page(ref("AdminUserProfileGA")),
        "Enrollment": ENROLLMENT_OBJECT,
        "EnrollmentList": page(ref("Enrollment")),
        "EnrollmentApprovalBody": APPROVAL,
        "AdminEnforcementAction": ACTION_OBJECT,
        "AdminEnforcementActionList": page(ref("AdminEnforcementAction")),
        "EnforcementActionCreateBody": NEW_ACTION,
        "IdentityCheck": CHECK_OBJECT,
        "IdentityCheckList": page(ref("IdentityCheck")),
        "IdentityCheckRejectionBody": CHECK_REJECTION,
        "ProgramChangeBody": PROGRAM_CHANGE,
        "NoteBody": NOTE_ONLY,
    }


def _operation(
    summary: str, ok: str, body: str | None = None, parameters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    known: dict[str, Any] = {"summary": summary, "ok": ref(ok)}
    if body is not None:
        known["body"] = ref(body)
    if parameters is not None:
        known["parameters"] = parameters
    return known


PROFILE_FILTER = query("user_profile_id", {"type": "string"}, "Only this profile's.")


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    (ADMIN + "/enrollments", "GET"): _operation(
        "List enrollments",
        "EnrollmentList",
        parameters=[
            *listing_parameters("asc"),
            query("status", {"type": "array", "items": enum(ENROLLMENT_STATUSES)}, "These statuses (repeatable)."),
            query("program", enum(PROGRAMS), "Only this program."),
            query("source", enum(SOURCES), "Only applications from this page."),
            PROFILE_FILTER,
        ],
    ),
    (ENROLLMENT, "GET"): _operation("Retrieve an enrollment", "Enrollment"),
    (ENROLLMENT + "/approve", "POST"): _operation("Approve an enrollment", "Enrollment", "EnrollmentApprovalBody"),
    (ENROLLMENT + "/reject", "POST"): _operation("Reject an enrollment", "Enrollment", "NoteBody"),
    (ADMIN + "/user_profiles", "GET"): _operation(
        "Search user profiles",
        "AdminUserProfileList",
        parameters=[
            *listing_parameters("desc"),
            query("q", {"type": "string"}, "An ID or reference ID, or part of a name (any case)."),
        ],
    ),
    (PROFILE, "GET"): _operation("Retrieve the operator view of a user profile", "AdminUserProfile"),
    (PROFILE + "/programs/{program}", "POST"): _operation(
        "Set a profile's standing in a program", "AdminUserProfileGA", "ProgramChangeBody"
    ),
    (PROFILE + "/programs/{program}", "DELETE"): _operation(
        "Remove a profile's standing in a program", "AdminUserProfileGA"
    ),
    (PROFILE + "/enforcement_actions", "GET"): _operation(
        "List a profile's enforcement actions",
        "AdminEnforcementActionList",
        parameters=[query("state", {"enum": list(ACTION_STATES), "default": "all"}, "Open, resolved or all.")],
    ),
    (PROFILE + "/enforcement_actions", "POST"): _operation(
        "Open an enforcement action", "AdminEnforcementAction", "EnforcementActionCreateBody"
    ),
    (ACTION, "GET"): _operation("Retrieve an enforcement action", "AdminEnforcementAction"),
    (ACTION + "/resolve", "POST"): _operation("Resolve an enforcement action", "AdminEnforcementAction", "NoteBody"),
    (ADMIN + "/identity_checks", "GET"): _operation(
        "List identity checks",
        "IdentityCheckList",
        parameters=[
            *listing_parameters(None),
            query("status", {"type": "array", "items": enum(CHECK_STATUSES)}, "These statuses (repeatable)."),
            PROFILE_FILTER,
        ],
    ),
    (CHECK + "/approve", "POST"): _operation("Approve an identity check", "IdentityCheck", "NoteBody"),
    (CHECK + "/reject", "POST"): _operation("Reject an identity check", "IdentityCheck", "IdentityCheckRejectionBody"),
}
