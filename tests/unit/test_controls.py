"""The test double's pure parts: the control API's field rules, fault matching, the journal's
redaction, and the clock that only moves forward."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from uprof import timestamps
from uprof.controls import hook, schemas, service
from uprof.http.errors import InvalidRequest


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": 418}, "status"),
        ({"status": True}, "status"),
        ({}, "status"),
        ({"delay_ms": 0}, "status"),
        ({"status": 500, "times": 0}, "times"),
        ({"status": 500, "times": 1001}, "times"),
        ({"status": 500, "times": 1.5}, "times"),
        ({"delay_ms": 30_001}, "delay_ms"),
        ({"status": 500, "retry_after": 5}, "retry_after"),
        ({"status": 429, "retry_after": -1}, "retry_after"),
        ({"status": 500, "method": "FETCH"}, "method"),
        ({"status": 500, "path": "v1/user_profiles"}, "path"),
        ({"status": 500, "paths": "*"}, "paths"),
    ],
)
def test_a_bad_fault_rule_is_refused_naming_its_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        schemas.fault_rule(body)
    assert refused.value.message.startswith(f"{field}:")


def test_a_fault_rule_takes_its_defaults() -> None:
    rule = schemas.fault_rule({"status": 529, "method": "post", "path": "/v1/user_profiles?limit=1"})
    assert rule == schemas.FaultRule("POST", "/v1/user_profiles", 529, 1, 0, None)
    assert schemas.fault_rule({"delay_ms": 250}).status is None


@pytest.mark.parametrize("seconds", [0, -1, "5", None, True, 10**10])
def test_the_clock_moves_only_forward_by_a_sane_amount(seconds: object) -> None:
    with pytest.raises(InvalidRequest, match="^seconds:"):
        schemas.advance_seconds({"seconds": seconds})


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*", "/v1/anything", True),
        ("/v1/user_profiles", "/v1/user_profiles", True),
        ("/v1/user_profiles", "/v1/user_profiles/uprof_1", False),
        ("/v1/user_profiles/{user_profile_id}", "/v1/user_profiles/uprof_1", True),
        ("/v1/user_profiles/{user_profile_id}", "/v1/user_profiles", False),
        ("/v1/user_profiles/{user_profile_id}", "/v1/user_profiles/a/enrollment_url", False),
        ("/v1/user_profiles/{id}/enrollment_url", "/v1/user_profiles/a/enrollment_url", True),
        ("/v1/user_profiles.{x}", "/v1/user_profilesX1", False),  # the dot is literal
    ],
)
def test_fault_paths_match_concretely_or_as_templates(pattern: str, path: str, matches: bool) -> None:
    assert service.path_matches(pattern, path) is matches


def test_every_injectable_status_has_an_error_type() -> None:
    assert set(service.FAULT_ERROR_TYPES) == set(schemas.FAULT_STATUSES)
    body = orjson.loads(service.fault_body(529, "req_1"))
    assert body["error"] == {"type": "overloaded_error", "message": "injected fault"}
    assert body == {"type": "error", "error": body["error"], "request_id": "req_1"}


def test_the_journal_keeps_only_the_last_four_characters_of_keys() -> None:
    scope = {
        "headers": [
            (b"x-api-key", b"sk-uprof-secretsecretABCD"),
            (b"authorization", b"Bearer sk-uprof-secretWXYZ"),
            (b"accept", b"application/json"),
            (b"accept", b"text/plain"),
        ]
    }
    assert hook._headers(scope) == {
        "x-api-key": "ABCD",
        "authorization": "WXYZ",
        "accept": "application/json, text/plain",
    }


def test_the_journal_shows_queries_and_bodies_as_sent() -> None:
    assert hook._query(b"limit=2&tag=a&tag=b&empty=") == {"limit": "2", "tag": ["a", "b"], "empty": ""}
    assert hook._body(b'{"name": "Ada"}') == {"name": "Ada"}
    assert hook._body(b"name=Ada") == "name=Ada"
    assert hook._body(b"") is None


@pytest.fixture
def restored_clock() -> Iterator[None]:
    yield
    timestamps._offset = timedelta(0)


def test_the_process_clock_never_moves_back(restored_clock: None) -> None:
    real = datetime.now(UTC)
    assert timestamps.move_clock_to(timedelta(hours=1))
    assert timestamps.utc_now() - real >= timedelta(hours=1)
    assert not timestamps.move_clock_to(timedelta(minutes=30))
    assert timestamps.clock_offset() == timedelta(hours=1)
