"""What names or describes a revision is derived from the `Revision` enum and the revision tables, so that a
new revision is added in one place (docs/api.md, "Stability promise"): the OpenAPI document's response
fields come from what `render` produces, its `?revision=` values and the console's labels from the enum."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_profile_revisions import NOW, read_of, stored_row
from uprof.console.service import REVISION_LABELS
from uprof.http.revision_choice import Revision
from uprof.openapi import schemas
from uprof.openapi.document import REVISIONS, build
from uprof.profiles import routes as profile_routes
from uprof.profiles.revisions import FROM_NEXT_NEWER, TRANSFORMS, render, response_fields

R1, R2, R3, GA = Revision.R1, Revision.R2, Revision.R3, Revision.GA
PROFILE = "/v1/user_profiles/{user_profile_id}"
OPEN_BAN = {
    "id": "enac_7Hs2Kd9LmQ4pXw1Zr8Tb5Nc3",
    "type": "ban",
    "reason": "other",
    "verifiable": False,
    "opened_at": NOW,
    "expires_at": None,
    "resolved_at": None,
}
# Rows that differ in everything that decides nested values: programs set or not, actions or none.
ROWS = {
    "full": stored_row(),
    "bare": stored_row(cyber=None, efs=None, name=None, reference_id=None, onboarded_at=None, metadata={}),
    "banned": stored_row(enforcement_actions=[OPEN_BAN], identity_check_submitted=True),
}


def _ok_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    found: dict[str, Any] = schema["schema"]
    return found


@pytest.mark.parametrize("revision", list(Revision))
@pytest.mark.parametrize("row", list(ROWS.values()), ids=list(ROWS))
def test_the_documented_response_fields_are_the_keys_render_gives(revision: Revision, row: dict[str, Any]) -> None:
    document = build([*profile_routes.routes], revision)
    single = _ok_schema(document, PROFILE)
    listed = _ok_schema(document, "/v1/user_profiles")["properties"]["data"]["items"]
    for schema, complete in ((single, True), (listed, False)):
        keys = list(render(read_of(row), revision, complete=complete))
        assert list(schema["properties"]) == keys
        assert schema["required"] == keys
        assert schema["additionalProperties"] is False


def test_every_field_schema_belongs_to_some_revision() -> None:
    shown = {name for revision in Revision for name in response_fields(revision)}
    assert set(schemas.RESPONSE_FIELD_SCHEMAS) == shown


def test_every_revision_has_its_transforms() -> None:
    assert set(TRANSFORMS) == set(Revision)
    assert set(FROM_NEXT_NEWER) == set(Revision) - {GA}
    assert [len(TRANSFORMS[revision]) for revision in (GA, R3, R2, R1)] == [0, 1, 2, 3]


def test_document_revision_values() -> None:
    assert list(REVISIONS.items()) == [("2026-03-24", R1), ("2026-08-18", R2), ("2026-09-04", R3), ("ga", GA)]


@pytest.mark.parametrize("name", [name for name, revision in REVISIONS.items() if revision is not GA])
def test_a_beta_revision_is_named_by_the_date_of_its_header_value(name: str) -> None:
    assert REVISIONS[name].value == f"user-profiles-{name}"


def test_console_labels() -> None:
    assert REVISION_LABELS == (
        ("R1 · 2026-03-24", R1),
        ("R2 · 2026-08-18", R2),
        ("R3 · 2026-09-04", R3),
        ("GA", GA),
    )
