"""Property-based tests (hypothesis) of three pure pieces: the metadata merge (docs/reference/profiles.md §3.4), the
list cursor codec (docs/reference/http.md §16) and the revision transforms (docs/reference/profiles.md §2). Each
property is checked on generated inputs, not on a few hand-picked samples as the other unit tests do."""

from __future__ import annotations

import base64
import re
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.unit.test_profile_revisions import read_of
from uprof.http.pagination import CursorCodec, InvalidCursor
from uprof.http.revision_choice import Revision
from uprof.openapi import schemas
from uprof.profiles.revisions import render
from uprof.profiles.schemas import ACCESS_TYPES, ACCOUNT_STATUSES, ENTITY_TYPES
from uprof.profiles.service import merge_metadata, next_updated_at
from uprof.standing.enforcement import REASONS
from uprof.standing.programs import ITEMS, STATUSES

# No example database in the checkout, no per-example deadline on a busy CI machine.
PROPERTIES = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Whole stored profiles and histories of patches are costly to generate: fewer, larger examples.
LARGE = settings(PROPERTIES, max_examples=40)

# --- metadata merge --------------------------------------------------------------------------------

# Code points outside the surrogate block: what a parsed JSON body can hold.
TEXT = st.characters(exclude_categories=["Cs"])
KEYS = st.text(TEXT, min_size=1, max_size=64)
VALUES = st.text(TEXT, min_size=1, max_size=512)
STORED = st.dictionaries(KEYS | st.sampled_from(["plan", "seats", "tier"]), VALUES, max_size=16)
# A patch value of "" removes its key; small key pools make patches hit stored keys often.
PATCHES = st.dictionaries(
    KEYS | st.sampled_from(["plan", "seats", "tier", "absent"]),
    VALUES | st.just(""),
    max_size=16,
)


@PROPERTIES
@given(current=STORED, patch=PATCHES)
def test_merge_sets_removes_and_keeps_exactly_what_the_patch_says(
    current: dict[str, str], patch: dict[str, str]
) -> None:
    before = dict(current)
    merged = merge_metadata(current, patch)
    assert current == before, "the stored map is not modified in place"
    removed = {key for key, value in patch.items() if value == ""}
    assigned = {key: value for key, value in patch.items() if value != ""}
    assert set(merged) == (set(current) - removed) | set(assigned)
    for key, value in merged.items():
        assert value == assigned.get(key, current.get(key))
    assert all(value != "" for value in merged.values())


@PROPERTIES
@given(current=STORED, first=PATCHES, second=PATCHES)
def test_two_merges_equal_one_merge_of_the_combined_patch(
    current: dict[str, str], first: dict[str, str], second: dict[str, str]
) -> None:
    """The later request's value for a key wins, whatever the earlier one did to it."""
    assert merge_metadata(merge_metadata(current, first), second) == merge_metadata(current, {**first, **second})


@PROPERTIES
@given(current=STORED, patch=PATCHES)
def test_merging_the_same_patch_again_changes_nothing(current: dict[str, str], patch: dict[str, str]) -> None:
    once = merge_metadata(current, patch)
    assert merge_metadata(once, patch) == once


@LARGE
@given(history=st.lists(PATCHES, max_size=12))
def test_merge_matches_a_key_by_key_model(history: list[dict[str, str]]) -> None:
    """A sequence of updates, against a model that records, per key, the last operation sent."""
    merged: dict[str, str] = {}
    last_operation: dict[str, str] = {}
    for patch in history:
        merged = merge_metadata(merged, patch)
        last_operation.update(patch)
    assert merged == {key: value for key, value in last_operation.items() if value != ""}


NEAR_NOW = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@PROPERTIES
@given(stored=NEAR_NOW, offset=st.timedeltas(min_value=timedelta(days=-1), max_value=timedelta(days=1)))
def test_updated_at_never_goes_back(stored: datetime, offset: timedelta) -> None:
    """A change's `updated_at` is its own clock reading, or just after the stored one if that is not later."""
    now = stored + offset
    stamp = next_updated_at(stored, now)
    assert stamp > stored and stamp >= now
    assert stamp == (now if now > stored else stored + timedelta(microseconds=1))


# --- cursor codec ----------------------------------------------------------------------------------

KEY = b"k" * 32
codec = CursorCodec(KEY)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(TEXT, max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(TEXT, max_size=10), inner, max_size=4),
    max_leaves=12,
)
REAL_FIELDS = st.fixed_dictionaries(
    {
        "o": st.sampled_from(["asc", "desc"]),
        "b": st.sampled_from(["created_at", "name"]),
        "k": st.integers(min_value=0, max_value=2**62) | st.text(TEXT, max_size=255) | st.none(),
        "i": st.text(string.ascii_letters + string.digits, min_size=24, max_size=24).map(lambda s: "uprof_" + s),
    }
)
FIELDS = REAL_FIELDS | st.dictionaries(st.text(TEXT, max_size=10), JSON_VALUES, max_size=6)
BASE64URL = re.compile(r"page_[A-Za-z0-9_-]*")


def raw_bytes(cursor: str) -> bytes:
    body = cursor.removeprefix("page_")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def spelled(raw: bytes) -> str:
    return "page_" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@PROPERTIES
@given(fields=FIELDS)
def test_cursor_round_trip(fields: dict[str, Any]) -> None:
    cursor = codec.encode(fields)
    assert BASE64URL.fullmatch(cursor)
    if len(cursor) <= 2048:
        assert codec.decode(cursor) == fields
    else:
        with pytest.raises(InvalidCursor):
            codec.decode(cursor)


@PROPERTIES
@given(fields=REAL_FIELDS)
def test_every_real_cursor_fits_the_accepted_length(fields: dict[str, Any]) -> None:
    assert len(codec.encode(fields)) <= 2048


@PROPERTIES
@given(fields=FIELDS, data=st.data())
def test_changing_any_byte_is_refused(fields: dict[str, Any], data: st.DataObject) -> None:
    raw = bytearray(raw_bytes(codec.encode(fields)))
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="index")
    raw[index] ^= data.draw(st.integers(min_value=1, max_value=255), label="mask")
    with pytest.raises(InvalidCursor):
        codec.decode(spelled(bytes(raw)))


@PROPERTIES
@given(fields=FIELDS, data=st.data())
def test_cutting_or_extending_is_refused(fields: dict[str, Any], data: st.DataObject) -> None:
    raw = raw_bytes(codec.encode(fields))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="kept bytes")
    extra = data.draw(st.binary(min_size=1, max_size=8), label="appended bytes")
    for altered in (raw[:cut], raw + extra):
        with pytest.raises(InvalidCursor):
            codec.decode(spelled(altered))


@PROPERTIES
@given(fields=FIELDS, changed=FIELDS)
def test_a_tag_never_vouches_for_other_fields(fields: dict[str, Any], changed: dict[str, Any]) -> None:
    """Splicing one cursor's tag onto other fields (the forgery a client could try) is refused."""
    tag = raw_bytes(codec.encode(fields))[:16]
    payload = orjson.dumps(changed)
    if payload != orjson.dumps(fields):
        with pytest.raises(InvalidCursor):
            codec.decode(spelled(tag + payload))


@PROPERTIES
@given(fields=FIELDS, other_key=st.binary(min_size=16, max_size=64))
def test_a_cursor_of_another_key_is_refused(fields: dict[str, Any], other_key: bytes) -> None:
    if other_key != KEY:
        with pytest.raises(InvalidCursor):
            codec.decode(CursorCodec(other_key).encode(fields))


@PROPERTIES
@given(text=st.text(max_size=300) | st.text(max_size=300).map(lambda s: "page_" + s))
def test_text_the_codec_did_not_issue_is_refused(text: str) -> None:
    """Generated text never decodes: it would need a valid 128-bit tag."""
    with pytest.raises(InvalidCursor):
        codec.decode(text)


# --- revision transforms ---------------------------------------------------------------------------

R1, R2, R3, GA = Revision.R1, Revision.R2, Revision.R3, Revision.GA
# docs/reference/profiles.md §2.1, in table order.
DOCUMENTED_KEYS = {
    R1: ["id", "type", "external_id", "name", "relationship", "metadata", "trust_grants", "created_at", "updated_at"],
    R2: [
        *("id", "type", "external_id", "name", "access_type", "external_user_onboarded_at", "metadata"),
        *("trust_grants", "created_at", "updated_at"),
    ],
    R3: [
        *("id", "type", "name", "access_type", "external_user_details", "metadata", "trust_grants"),
        *("created_at", "updated_at"),
    ],
    GA: [
        *("id", "type", "name", "access_type", "external_user_details", "metadata", "programs"),
        *("enforcement_status", "enforcement_actions", "created_at", "updated_at"),
    ],
}
DETAIL_KEYS = ["account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id"]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
BASE62 = string.ascii_letters + string.digits
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
SHORT_TEXT = st.text(TEXT, min_size=1, max_size=255)
ITEM_STATES = st.sampled_from(["active", "inactive"])


def ids(prefix: str) -> st.SearchStrategy[str]:
    return st.text(BASE62, min_size=24, max_size=24).map(lambda s: prefix + s)


def program(name: str) -> st.SearchStrategy[dict[str, Any] | None]:
    items = st.fixed_dictionaries({item: ITEM_STATES for item in ITEMS[name]})
    standing: dict[str, Any] = {"status": st.sampled_from(STATUSES), "tiers" if name == "cyber" else "features": items}
    if name == "cyber":
        standing["requirements"] = st.fixed_dictionaries(
            {"data_retention": st.booleans(), "human_review": st.booleans()}
        )
    return st.none() | st.fixed_dictionaries(standing)


@st.composite
def open_action(draw: st.DrawFn, read_at: datetime) -> dict[str, Any]:
    """An action as the service hands it to render: open at `read_at`."""
    kind = draw(st.sampled_from(["restriction", "ban"]))
    reason = draw(st.sampled_from(REASONS))
    expires = kind == "restriction" and reason != "account_compromise" and draw(st.booleans())
    return {
        "id": draw(ids("enac_")),
        "type": kind,
        "reason": reason,
        "verifiable": kind == "restriction" and draw(st.booleans()),
        "opened_at": draw(MOMENTS.filter(lambda moment: moment <= read_at)),
        "expires_at": read_at + draw(st.timedeltas(timedelta(microseconds=1), timedelta(days=400)))
        if expires
        else None,
        "resolved_at": None,
    }


@st.composite
def stored_rows(draw: st.DrawFn) -> dict[str, Any]:
    created_at = draw(MOMENTS)
    read_at = created_at + draw(st.timedeltas(timedelta(0), timedelta(days=3650)))
    name = draw(st.none() | SHORT_TEXT)
    return {
        "id": draw(ids("uprof_")),
        "organization_id": "6d1f6a0e-3c2b-4f1e-9a57-2b8c0d4e5f61",
        "name": name,
        "name_key": None if name is None else name.lower(),
        "name_folded": None if name is None else name.casefold(),
        "access_type": draw(st.sampled_from(ACCESS_TYPES)),
        "reference_id": draw(st.none() | SHORT_TEXT),
        "onboarded_at": draw(st.none() | MOMENTS),
        "account_status": draw(st.none() | st.sampled_from(ACCOUNT_STATUSES)),
        "country": draw(st.none() | st.text(string.ascii_uppercase, min_size=2, max_size=2)),
        "email_hash": draw(st.none() | SHORT_TEXT),
        "entity_type": draw(st.none() | st.sampled_from(ENTITY_TYPES)),
        "name_hash": draw(st.none() | SHORT_TEXT),
        "metadata": draw(STORED),
        "cyber": draw(program("cyber")),
        "efs": draw(program("efs")),
        "created_at": created_at,
        "updated_at": created_at + draw(st.timedeltas(timedelta(0), read_at - created_at)),
        "enforcement_actions": sorted(
            draw(st.lists(open_action(read_at), max_size=4, unique_by=lambda a: a["id"])),
            key=lambda action: (action["opened_at"], action["id"]),
        ),
        "identity_check_submitted": draw(st.booleans()),
        "read_at": read_at,
    }


VALIDATORS = {revision: Draft202012Validator(schemas.profile(revision)) for revision in (R1, R2, R3, GA)}


@LARGE
@given(row=stored_rows(), complete=st.booleans())
def test_every_revision_shows_exactly_its_documented_keys(row: dict[str, Any], complete: bool) -> None:
    for revision, keys in DOCUMENTED_KEYS.items():
        shape = render(read_of(row), revision, complete=complete)
        assert list(shape) == keys, revision
        VALIDATORS[revision].validate(shape)  # the served OpenAPI schema of that revision
        assert orjson.loads(orjson.dumps(shape)) == shape  # plain JSON, nothing else
        for key in ("created_at", "updated_at"):
            assert TIMESTAMP.fullmatch(shape[key])
        if "external_user_details" in shape:
            assert list(shape["external_user_details"]) == DETAIL_KEYS


@LARGE
@given(row=stored_rows())
def test_the_four_views_agree_on_the_stored_values(row: dict[str, Any]) -> None:
    r1, r2, r3, ga = (render(read_of(row), revision) for revision in (R1, R2, R3, GA))
    details = ga["external_user_details"]
    assert r1["external_id"] == r2["external_id"] == details["reference_id"] == row["reference_id"]
    assert r2["external_user_onboarded_at"] == details["onboarded_at"]
    assert r1["relationship"] == {"application": "external", "passthrough": "resold"}[r2["access_type"]]
    assert r2["access_type"] == r3["access_type"] == ga["access_type"] == row["access_type"]
    assert r1["metadata"] == r2["metadata"] == r3["metadata"] == ga["metadata"] == row["metadata"]
    assert r1["trust_grants"] == r2["trust_grants"] == r3["trust_grants"]
    assert r3["trust_grants"] == {
        name: {"status": program["status"]} for name, program in ga["programs"].items() if program is not None
    }
    assert r3["external_user_details"] == details
    assert ga["enforcement_status"] == expected_enforcement_status(row)
    assert [action["id"] for action in ga["enforcement_actions"]] == [a["id"] for a in row["enforcement_actions"]]
    for shown, stored in zip(ga["enforcement_actions"], row["enforcement_actions"], strict=True):
        clearable = stored["type"] == "restriction" and stored["verifiable"] and not row["identity_check_submitted"]
        assert shown["action"] == ("verify" if clearable else None)
        assert (shown["type"], shown["reason"]) == (stored["type"], stored["reason"])


@LARGE
@given(row=stored_rows())
def test_the_list_view_reports_programs_partially(row: dict[str, Any]) -> None:
    """docs/reference/profiles.md §2.4: lists show cyber without tiers or requirements and efs as null; the rest is
    equal."""
    full, listed = render(read_of(row), GA), render(read_of(row), GA, complete=False)
    cyber = row["cyber"]
    assert listed["programs"] == {
        "cyber": None if cyber is None else {"status": cyber["status"], "tiers": {}, "requirements": None},
        "efs": None,
    }
    assert {k: v for k, v in listed.items() if k != "programs"} == {k: v for k, v in full.items() if k != "programs"}
    for revision in (R1, R2, R3):
        assert render(read_of(row), revision, complete=False) == render(read_of(row), revision)


def expected_enforcement_status(row: dict[str, Any]) -> str:
    """The rules of docs/reference/profiles.md §2.5, in order, over the open actions."""
    actions = row["enforcement_actions"]
    if any(action["type"] == "ban" for action in actions):
        return "banned"
    clearable = any(action["type"] == "restriction" and action["verifiable"] for action in actions)
    compromised = any(action["reason"] == "account_compromise" for action in actions)
    if clearable and row["identity_check_submitted"] and not compromised:
        return "pending"
    return "restricted" if actions else "unrestricted"
