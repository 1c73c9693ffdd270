"""The four shapes of a profile (docs/reference/profiles.md §2) and which request fields each revision accepts (§3.2).

The newest shape (GA) is built from the stored profile as read (a `ProfileRead`); every older revision is one
small function that turns the next newer shape into its own. Adding a revision means its `Revision` member
(http/revision_choice.py), one more function and its entries in the tables below: the OpenAPI document takes
each revision's request fields from ACCEPTED_FIELDS and its response fields from `response_fields`,
which reads them off what `render` produces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from uprof.http.errors import InvalidRequest, member_path
from uprof.http.revision_choice import Revision
from uprof.profiles.records import Profile, ProfileRead
from uprof.standing import enforcement, programs
from uprof.timestamps import format_timestamp

R1, R2, R3, GA = Revision.R1, Revision.R2, Revision.R3, Revision.GA
REVISION_ORDER = tuple(Revision)  # oldest first, GA last

# Request fields (create, update) → revisions that accept them.
ACCEPTED_FIELDS: dict[str, frozenset[Revision]] = {
    "name": frozenset(REVISION_ORDER),
    "external_id": frozenset({R1, R2}),
    "relationship": frozenset({R1}),
    "access_type": frozenset({R2, R3, GA}),
    "external_user_onboarded_at": frozenset({R2}),
    "external_user_details": frozenset({R3, GA}),
    "metadata": frozenset(REVISION_ORDER),
}
ACCEPTED_QUERY: dict[str, frozenset[Revision]] = {"enforcement_status": frozenset({GA})}
READ_ONLY_FIELDS = frozenset(
    {"id", "type", "trust_grants", "programs", "enforcement_status", "enforcement_actions", "created_at", "updated_at"}
)
# Endpoints that only some revisions offer.
ENROLLMENT_URL_REVISIONS = frozenset({R1, R2, R3})


def accepted_list(accepted: frozenset[Revision]) -> str:
    """E.g. `under user-profiles-2026-09-04, or without a user-profiles beta header`."""
    betas = [revision.value for revision in REVISION_ORDER if revision in accepted and revision is not GA]
    text = "under " + ", ".join(betas) if betas else ""
    if GA in accepted:
        text = f"{text}, or {GA.described}" if text else GA.described
    return text


def not_accepted(name: str, revision: Revision, accepted: frozenset[Revision]) -> InvalidRequest:
    return InvalidRequest(f"{name}: not accepted {revision.described}; accepted {accepted_list(accepted)}")


def check_field_accepted(name: str, revision: Revision) -> None:
    """Raise the docs/reference/profiles.md §3.2 error for a read-only, unknown or other-revision body field."""
    if name in READ_ONLY_FIELDS:
        raise InvalidRequest(f"{name}: read-only field")
    accepted = ACCEPTED_FIELDS.get(name)
    if accepted is None:
        raise InvalidRequest(f"{member_path('', name)}: unknown field")
    if revision not in accepted:
        raise not_accepted(name, revision, accepted)


def check_query_accepted(name: str, revision: Revision) -> None:
    accepted = ACCEPTED_QUERY[name]
    if revision not in accepted:
        raise not_accepted(name, revision, accepted)


def check_enrollment_url_available(revision: Revision) -> None:
    if revision not in ENROLLMENT_URL_REVISIONS:
        values = ", ".join(r.value for r in REVISION_ORDER if r in ENROLLMENT_URL_REVISIONS)
        raise InvalidRequest(f"anthropic-beta: this endpoint requires one of {values}")


def ga_shape(read: ProfileRead, *, complete: bool = True, for_older: bool = False) -> dict[str, Any]:
    """The newest shape. `complete=False` is the list view: cyber without tiers or requirements, efs null.

    `for_older`: without `programs` and the enforcement fields, which no older revision shows (ga_to_r3
    drops them), for `render` to take down to an older revision without building them first."""
    row = read.profile
    onboarded_at = row.onboarded_at
    shape: dict[str, Any] = {
        "id": row.id,
        "type": "user_profile",
        "name": row.name,
        "access_type": row.access_type,
        "external_user_details": {
            "account_status": row.account_status,
            "country": row.country,
            "email_hash": row.email_hash,
            "entity_type": row.entity_type,
            "name_hash": row.name_hash,
            "onboarded_at": None if onboarded_at is None else format_timestamp(onboarded_at),
            "reference_id": row.reference_id,
        },
        "metadata": row.metadata,
    }
    if not for_older:
        shape["programs"] = {
            "cyber": programs.ga_view(row.cyber, "cyber", complete=complete),
            "efs": programs.ga_view(row.efs, "efs", complete=complete),
        }
        shape["enforcement_status"] = enforcement.status(read.enforcement_actions, read.identity_check_submitted)
        shape["enforcement_actions"] = [
            enforcement.public_view(action, read.identity_check_submitted, read.read_at)
            for action in read.enforcement_actions
        ]
    shape["created_at"] = format_timestamp(row.created_at)
    shape["updated_at"] = format_timestamp(row.updated_at)
    return shape


def ga_to_r3(ga: dict[str, Any], read: ProfileRead) -> dict[str, Any]:
    """R3: `trust_grants` (from program statuses, full standing) instead of programs and enforcement."""
    row = read.profile
    grants = {}
    if row.cyber is not None:
        grants["cyber"] = {"status": row.cyber["status"]}
    if row.efs is not None:
        grants["efs"] = {"status": row.efs["status"]}
    # Each shape is written out key by key: a list renders every one of its rows through these, and a
    # dictionary display costs a third of a loop over the newer shape's keys.
    return {
        "id": ga["id"],
        "type": ga["type"],
        "name": ga["name"],
        "access_type": ga["access_type"],
        "external_user_details": ga["external_user_details"],
        "metadata": ga["metadata"],
        "trust_grants": grants,
        "created_at": ga["created_at"],
        "updated_at": ga["updated_at"],
    }


def r3_to_r2(r3: dict[str, Any], read: ProfileRead) -> dict[str, Any]:
    """R2: `external_id` and `external_user_onboarded_at` instead of `external_user_details`."""
    details = r3["external_user_details"]
    return {
        "id": r3["id"],
        "type": r3["type"],
        "external_id": details["reference_id"],
        "name": r3["name"],
        "access_type": r3["access_type"],
        "external_user_onboarded_at": details["onboarded_at"],
        "metadata": r3["metadata"],
        "trust_grants": r3["trust_grants"],
        "created_at": r3["created_at"],
        "updated_at": r3["updated_at"],
    }


def r2_to_r1(r2: dict[str, Any], read: ProfileRead) -> dict[str, Any]:
    """R1: `relationship` instead of `access_type`; no onboarding time."""
    return {
        "id": r2["id"],
        "type": r2["type"],
        "external_id": r2["external_id"],
        "name": r2["name"],
        "relationship": "resold" if r2["access_type"] == "passthrough" else "external",
        "metadata": r2["metadata"],
        "trust_grants": r2["trust_grants"],
        "created_at": r2["created_at"],
        "updated_at": r2["updated_at"],
    }


Transform = Callable[[dict[str, Any], ProfileRead], dict[str, Any]]
# Each older revision's function from the shape of the next newer revision in REVISION_ORDER.
FROM_NEXT_NEWER: dict[Revision, Transform] = {R3: ga_to_r3, R2: r3_to_r2, R1: r2_to_r1}


def _transforms(revision: Revision) -> tuple[Transform, ...]:
    """The functions that take the GA shape down, one revision at a time, to `revision`'s."""
    newest_first = REVISION_ORDER[::-1]
    return tuple(FROM_NEXT_NEWER[step] for step in newest_first[1 : newest_first.index(revision) + 1])


# Each revision's transforms, applied in order to the GA shape.
TRANSFORMS: dict[Revision, tuple[Transform, ...]] = {revision: _transforms(revision) for revision in REVISION_ORDER}


def render(read: ProfileRead, revision: Revision, *, complete: bool = True) -> dict[str, Any]:
    """The stored profile, as read, in the shape of `revision`."""
    return _render(read, TRANSFORMS[revision], complete)


def render_each(reads: Iterable[ProfileRead], revision: Revision, *, complete: bool = True) -> list[dict[str, Any]]:
    """`render` of each profile: a list page's rows, which share the revision looked up once."""
    transforms = TRANSFORMS[revision]  # (an Enum's hash is a Python call)
    return [_render(read, transforms, complete) for read in reads]


def _render(read: ProfileRead, transforms: tuple[Transform, ...], complete: bool) -> dict[str, Any]:
    shape = ga_shape(read, complete=complete, for_older=bool(transforms))
    for transform in transforms:
        shape = transform(shape, read)
    return shape


# Which keys a shape has never depends on the values (only what is nested under them does), so
# rendering this one profile tells every revision's fields.
_AT = datetime(2026, 1, 1, tzinfo=UTC)
_ANY_PROFILE = ProfileRead(
    Profile(
        id="uprof_0",
        organization_id="",
        name=None,
        name_key=None,
        name_folded=None,
        access_type="application",
        reference_id=None,
        onboarded_at=None,
        account_status=None,
        country=None,
        email_hash=None,
        entity_type=None,
        name_hash=None,
        metadata={},
        cyber=None,
        efs=None,
        created_at=_AT,
        updated_at=_AT,
    ),
    enforcement_actions=[],
    identity_check_submitted=False,
    read_at=_AT,
)


@cache
def response_fields(revision: Revision) -> tuple[str, ...]:
    """The top-level keys of a profile under `revision`, in the order `render` gives them."""
    return tuple(render(_ANY_PROFILE, revision))
