"""Transport rules of docs/reference/http.md §1–§14 against the real server over raw HTTP.

Every error test checks the status, the envelope (exact keys, type, message, details) and that
nothing stored changed. Rate limiting (docs/reference/http.md §15) and the webhook and admin routes are not covered
here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import R1_HEADERS, Server, Tenant
from tests.e2e.rules.support import (
    REQUEST_ID,
    Organization,
    Snapshot,
    assert_envelope,
    assert_invalid,
    connect,
    headers,
)
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database

BODY_LIMIT = 1_048_576  # the default of --max-body-bytes
MISSING_KEY = "missing API key: send x-api-key or Authorization: Bearer"
NOT_BEARER = "Authorization header must use the Bearer scheme"
INVALID_KEY = "invalid API key"
VERSION_REQUIRED = "anthropic-version: header is required"
JSON = {"content-type": "application/json"}


def revision_of(profile: dict[str, Any]) -> str:
    """Which revision's shape a rendered profile has (docs/reference/profiles.md §2.1)."""
    if "relationship" in profile:
        return "R1"
    if "external_user_onboarded_at" in profile:
        return "R2"
    if "trust_grants" in profile:
        return "R3"
    assert "programs" in profile
    return "GA"


@pytest.fixture
def anonymous(server: Server) -> Iterator[httpx.Client]:
    with connect(server) as client:
        yield client


# docs/reference/http.md §1 and §2: routes, methods, and the order of checks


UNKNOWN_ROUTES = [
    ("GET", "/v1/user_profiles/"),
    ("POST", "/v1/user_profiles/"),
    ("GET", "/v1/user_profiles/uprof_000000000000000000000000/"),
    ("DELETE", "/v1/user_profiles/uprof_000000000000000000000000/"),
    ("POST", "/v1/user_profiles/uprof_000000000000000000000000/enrollment_url/"),
    ("POST", "/v1/user_profiles/uprof_000000000000000000000000/action_urls/"),
    ("POST", "/v1/user_profiles/uprof_000000000000000000000000/unknown"),
    ("GET", "/v1/user_profiles/a/b"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/count_tokens"),
    ("GET", "/v1/messages/batches"),
    ("GET", "/v1/user_profile"),
    ("GET", "/v1"),
    ("GET", "/v1/"),
    ("GET", "//v1/user_profiles"),
]


@pytest.mark.parametrize(("method", "path"), UNKNOWN_ROUTES)
def test_unknown_route_is_not_found_before_anything_else(
    api: httpx.Client, anonymous: httpx.Client, state: Snapshot, method: str, path: str
) -> None:
    before = state()
    for client in (api, anonymous):  # the route is checked before the key
        response = client.request(method, path, content=b'{"name": "x"}', headers=headers(**JSON))
        assert_envelope(response, 404, "not_found_error", "not found")
        assert "anthropic-organization-id" not in response.headers
        assert response.headers.get("cache-control") == ("no-store" if path.startswith("/v1/") else None)
    assert state() == before


NOT_ALLOWED = [
    ("PUT", "/v1/user_profiles", {"GET", "POST"}),
    ("PATCH", "/v1/user_profiles", {"GET", "POST"}),
    ("DELETE", "/v1/user_profiles", {"GET", "POST"}),
    ("PUT", "/v1/user_profiles/uprof_000000000000000000000000", {"GET", "POST", "DELETE"}),
    ("PATCH", "/v1/user_profiles/uprof_000000000000000000000000", {"GET", "POST", "DELETE"}),
    ("GET", "/v1/user_profiles/uprof_000000000000000000000000/enrollment_url", {"POST"}),
    ("DELETE", "/v1/user_profiles/uprof_000000000000000000000000/enrollment_url", {"POST"}),
    ("GET", "/v1/user_profiles/uprof_000000000000000000000000/action_urls", {"POST"}),
    ("PUT", "/v1/user_profiles/uprof_000000000000000000000000/action_urls", {"POST"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), NOT_ALLOWED)
def test_method_not_allowed_lists_the_allowed_methods(
    api: httpx.Client, anonymous: httpx.Client, state: Snapshot, method: str, path: str, allowed: set[str]
) -> None:
    before = state()
    for client in (api, anonymous):  # the method is checked before the key and the version
        response = client.request(method, path, content=b"{}", headers={"anthropic-version": "bogus", **JSON})
        assert_envelope(response, 405, "invalid_request_error", f"method {method} is not allowed on {path}")
        assert {item.strip() for item in response.headers["allow"].split(",")} == allowed
        assert "anthropic-organization-id" not in response.headers
    assert state() == before


def test_profile_routes_never_redirect(api: httpx.Client, profile: dict[str, Any]) -> None:
    for path in ("/v1/user_profiles/", f"/v1/user_profiles/{profile['id']}/", "/v1/user_profiles//"):
        response = api.get(path, headers=headers())
        assert not response.is_redirect
        assert_envelope(response, 404, "not_found_error", "not found")


MISSING = "uprof_000000000000000000000000"
ORDER_CASES = [
    # Each request fails two or more checks; the earliest in docs/reference/http.md §1 answers.
    pytest.param("PUT", "/v1/nothing", "none", {"anthropic-version": ""}, None, 404, "not found", id="1-route"),
    pytest.param(
        "PUT",
        "/v1/user_profiles",
        "none",
        {"anthropic-version": ""},
        None,
        405,
        "method PUT is not allowed on /v1/user_profiles",
        id="2-method-before-key",
    ),
    pytest.param("GET", "/v1/user_profiles", "bad", {"anthropic-version": ""}, None, 401, INVALID_KEY, id="4-key"),
    pytest.param(
        "GET",
        "/v1/user_profiles",
        "good",
        {"anthropic-version": "", "anthropic-beta": "user-profiles-2099-01-01"},
        None,
        400,
        VERSION_REQUIRED,
        id="5-version-before-beta",
    ),
    pytest.param(
        "GET",
        "/v1/user_profiles",
        "good",
        {"anthropic-beta": "user-profiles-2099-01-01", "anthropic-workspace-id": "wrkspc_nowhere"},
        None,
        400,
        "anthropic-beta: unsupported beta header value 'user-profiles-2099-01-01'",
        id="6-beta-before-workspace",
    ),
    pytest.param(
        "POST",
        "/v1/user_profiles",
        "good",
        {"anthropic-workspace-id": "wrkspc_nowhere", "content-type": "text/plain"},
        b"{",
        404,
        "anthropic-workspace-id: workspace wrkspc_nowhere not found",
        id="8-workspace-before-body",
    ),
    pytest.param(
        "GET",
        "/v1/user_profiles?limit=0",
        "good",
        {"anthropic-workspace-id": "wrkspc_nowhere"},
        None,
        404,
        "anthropic-workspace-id: workspace wrkspc_nowhere not found",
        id="8-workspace-before-query",
    ),
    pytest.param(
        "POST",
        "/v1/user_profiles",
        "good",
        {"content-encoding": "gzip", "content-type": "text/plain"},
        b"{",
        400,
        "content-encoding: 'gzip' is not supported",
        id="10-encoding-before-content-type",
    ),
    pytest.param(
        "POST",
        "/v1/user_profiles",
        "good",
        {"content-type": "text/plain"},
        b"{",
        400,
        "content-type: must be application/json",
        id="10-content-type-before-syntax",
    ),
    pytest.param(
        "POST",
        "/v1/user_profiles",
        "good",
        JSON,
        b'{"foo": 1,}',
        400,
        "body: invalid JSON at line 1, column 11",
        id="10-syntax-before-validation",
    ),
    pytest.param(
        "POST",
        f"/v1/user_profiles/{MISSING}/enrollment_url",
        "good",
        JSON,
        b"[",
        400,
        "body: invalid JSON at line 1, column 2",
        id="10-syntax-before-endpoint-revision",
    ),
    pytest.param(
        "POST",
        f"/v1/user_profiles/{MISSING}",
        "good",
        JSON,
        b'{"foo": 1}',
        400,
        "foo: unknown field",
        id="11-validation-before-lookup",
    ),
    pytest.param(
        "GET",
        f"/v1/user_profiles/{MISSING}?limit=0",
        "good",
        JSON,
        None,
        404,
        "user profile not found",
        id="12-lookup-ignores-unknown-query",
    ),
    pytest.param(
        "POST",
        f"/v1/user_profiles/{MISSING}",
        "good",
        JSON,
        b'{"name": "x"}',
        404,
        "user profile not found",
        id="12-lookup",
    ),
]
TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
}


@pytest.mark.parametrize(("method", "path", "key", "extra", "content", "status", "message"), ORDER_CASES)
def test_first_failing_check_wins(
    server: Server,
    shared: Organization,
    state: Snapshot,
    method: str,
    path: str,
    key: str,
    extra: dict[str, str],
    content: bytes | None,
    status: int,
    message: str,
) -> None:
    sent = {name: value for name, value in {**headers(), **extra}.items() if value != ""}
    if key != "none":
        sent["x-api-key"] = shared.key if key == "good" else "sk-uprof-unknown"
    before = state()
    with connect(server) as client:
        response = client.request(method, path, content=content, headers=sent)
    code = "request_body_encoding_unsupported" if message.startswith("content-encoding") else None
    assert_envelope(response, status, TYPES[status], message, code)
    assert state() == before


def test_endpoint_availability_is_checked_before_the_lookup(api: httpx.Client, state: Snapshot) -> None:
    before = state()
    response = api.post("/v1/user_profiles/uprof_000000000000000000000000/enrollment_url", headers=headers())
    assert_invalid(
        response,
        "anthropic-beta: this endpoint requires one of user-profiles-2026-03-24, user-profiles-2026-08-18, "
        "user-profiles-2026-09-04",
    )
    assert state() == before


@pytest.mark.parametrize(
    "method",
    ["GET", "POST", "DELETE"],
)
def test_encoded_slash_stays_in_the_id(
    api: httpx.Client, profile: dict[str, Any], state: Snapshot, method: str
) -> None:
    before = state()
    body = b'{"name": "changed"}' if method == "POST" else None
    response = api.request(method, f"/v1/user_profiles/{profile['id']}%2Fx", content=body, headers=headers(**JSON))
    assert_envelope(response, 404, "not_found_error", "user profile not found")
    assert state() == before


@pytest.mark.parametrize("operation", ["enrollment_url", "action_urls"])
def test_encoded_slash_in_link_routes(
    api: httpx.Client, profile: dict[str, Any], state: Snapshot, operation: str
) -> None:
    before = state()
    body = {"action": {"type": "enroll_end_user"}} if operation == "action_urls" else {}
    response = api.post(f"/v1/user_profiles/{profile['id']}%2F/{operation}", json=body, headers=headers("R1"))
    assert_envelope(response, 404, "not_found_error", "user profile not found")
    assert state() == before


@pytest.mark.parametrize(
    "raw_id",
    [
        pytest.param("%00", id="nul"),
        pytest.param("uprof_%00", id="prefixed-nul"),
        pytest.param("%ED%A0%80", id="encoded-surrogate"),
        pytest.param("%FF%FE", id="invalid-utf8"),
        pytest.param("%F0%9F%98%80", id="emoji"),
        pytest.param("uprof_" + "A" * 5000, id="long"),
        pytest.param("%2E%2E", id="encoded-dots"),
        pytest.param(f"{MISSING}%20", id="trailing-space"),
        pytest.param(MISSING.upper(), id="upper-case"),
    ],
)
def test_odd_ids_are_plain_not_found(api: httpx.Client, state: Snapshot, raw_id: str) -> None:
    before = state()
    path = f"/v1/user_profiles/{raw_id}"
    responses = [
        api.get(path, headers=headers()),
        api.post(path, json={"name": "x"}, headers=headers()),
        api.delete(path, headers=headers()),
        api.post(f"{path}/action_urls", json={"action": {"type": "enroll_end_user"}}, headers=headers()),
        api.post(f"{path}/enrollment_url", headers=headers("R1")),
    ]
    for response in responses:
        assert_envelope(response, 404, "not_found_error", "user profile not found")
    assert state() == before


# docs/reference/http.md §10: body size limit (the default, 1 MiB)


def _json_of_size(size: int) -> bytes:
    """A valid create body of exactly `size` bytes (trailing whitespace is part of a JSON text)."""
    body = b'{"name": "' + b"n" * 200 + b'"}'
    return body + b" " * (size - len(body))


def _chunks(total: int) -> Iterator[bytes]:
    """A body sent with Transfer-Encoding: chunked (no Content-Length), `total` bytes and more."""
    yield b'{"name": "'
    for _ in range(total // 65_536 + 1):
        yield b"x" * 65_536
    yield b'"}'


TOO_LARGE = f"request body exceeds the {BODY_LIMIT}-byte limit"


@pytest.mark.parametrize(
    ("key", "version", "path", "method"),
    [
        ("good", "2023-06-01", "/v1/user_profiles", "POST"),
        ("none", "2023-06-01", "/v1/user_profiles", "POST"),
        ("bad", "2023-06-01", "/v1/user_profiles", "POST"),
        ("good", "1999-01-01", "/v1/user_profiles", "POST"),
        ("good", "2023-06-01", "/v1/user_profiles/{id}", "POST"),
        ("good", "2023-06-01", "/v1/user_profiles/{id}/action_urls", "POST"),
        ("good", "2023-06-01", "/v1/user_profiles/{id}/enrollment_url", "POST"),
        ("good", "2023-06-01", "/v1/user_profiles", "GET"),
        ("good", "2023-06-01", "/v1/user_profiles/{id}", "DELETE"),
    ],
)
def test_declared_length_over_the_limit_is_refused_before_the_key(
    anonymous: httpx.Client,
    shared: Organization,
    profile: dict[str, Any],
    state: Snapshot,
    key: str,
    version: str,
    path: str,
    method: str,
) -> None:
    sent = headers("R1", anthropic_version=version, **JSON)
    if key != "none":
        sent["x-api-key"] = shared.key if key == "good" else "sk-uprof-unknown"
    body = _json_of_size(BODY_LIMIT + 1)
    before = state()
    response = anonymous.request(method, path.replace("{id}", profile["id"]), content=body, headers=sent)
    assert response.request.headers["content-length"] == str(BODY_LIMIT + 1)
    assert_envelope(response, 413, "request_too_large", TOO_LARGE)
    assert "anthropic-organization-id" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert state() == before


def test_body_of_exactly_the_limit_is_accepted(fresh_api: httpx.Client) -> None:
    body = _json_of_size(BODY_LIMIT)
    declared = fresh_api.post("/v1/user_profiles", content=body, headers=headers(**JSON))
    assert declared.status_code == 200, declared.text
    assert declared.json()["name"] == "n" * 200
    chunked = fresh_api.post(
        "/v1/user_profiles", content=iter([body[:500_000], body[500_000:]]), headers=headers(**JSON)
    )
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 200, chunked.text
    assert chunked.json()["name"] == "n" * 200


@pytest.mark.parametrize(
    ("key", "version", "status", "message"),
    [
        ("good", "2023-06-01", 413, TOO_LARGE),
        ("none", "2023-06-01", 401, MISSING_KEY),
        ("bad", "2023-06-01", 401, INVALID_KEY),
        ("good", "", 400, VERSION_REQUIRED),
    ],
)
@pytest.mark.parametrize("operation", ["create", "update"])
def test_chunked_body_passing_the_limit(
    anonymous: httpx.Client,
    shared: Organization,
    profile: dict[str, Any],
    state: Snapshot,
    key: str,
    version: str,
    status: int,
    message: str,
    operation: str,
) -> None:
    sent = headers(anthropic_version=version, **JSON) if version else {**JSON}
    if key != "none":
        sent["x-api-key"] = shared.key if key == "good" else "sk-uprof-unknown"
    path = "/v1/user_profiles" if operation == "create" else f"/v1/user_profiles/{profile['id']}"
    before = state()
    response = anonymous.post(path, content=_chunks(2 * BODY_LIMIT), headers=sent)
    assert "content-length" not in response.request.headers
    error_type = {413: "request_too_large", 401: "authentication_error", 400: "invalid_request_error"}[status]
    assert_envelope(response, status, error_type, message)
    assert state() == before


# docs/reference/http.md §3: authentication


AUTH_FAILURES = [
    ("nothing", {}, MISSING_KEY),
    ("empty-x-api-key", {"x-api-key": ""}, MISSING_KEY),
    ("empty-authorization", {"authorization": ""}, MISSING_KEY),
    ("both-empty", {"x-api-key": "", "authorization": ""}, MISSING_KEY),
    ("basic-scheme", {"authorization": "Basic dXNlcjpwYXNz"}, NOT_BEARER),
    ("token-scheme-with-good-key", {"authorization": "Token {key}"}, NOT_BEARER),
    ("bare-good-key", {"authorization": "{key}"}, NOT_BEARER),
    ("empty-x-api-key-and-basic", {"x-api-key": "", "authorization": "Basic abc"}, NOT_BEARER),
    ("unknown-x-api-key", {"x-api-key": "sk-uprof-unknown"}, INVALID_KEY),
    ("unknown-bearer", {"authorization": "Bearer sk-uprof-unknown"}, INVALID_KEY),
    ("x-api-key-wins", {"x-api-key": "sk-uprof-unknown", "authorization": "Bearer {key}"}, INVALID_KEY),
    ("key-with-suffix", {"x-api-key": "{key}x"}, INVALID_KEY),
    ("bearer-key-as-x-api-key", {"x-api-key": "Bearer {key}"}, INVALID_KEY),
]


@pytest.mark.parametrize(
    ("sent", "message"), [case[1:] for case in AUTH_FAILURES], ids=[case[0] for case in AUTH_FAILURES]
)
def test_authentication_failures(
    anonymous: httpx.Client, shared: Organization, state: Snapshot, sent: dict[str, str], message: str
) -> None:
    credentials = {name: value.replace("{key}", shared.key) for name, value in sent.items()}
    before = state()
    response = anonymous.post("/v1/user_profiles", json={"name": "x"}, headers={**headers(), **credentials})
    assert_envelope(response, 401, "authentication_error", message)
    assert "anthropic-organization-id" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert state() == before


AUTH_SUCCESSES = [
    ("x-api-key", {"x-api-key": "{key}"}),
    ("bearer", {"authorization": "Bearer {key}"}),
    ("lower-case-scheme", {"authorization": "bearer {key}"}),
    ("upper-case-scheme", {"authorization": "BEARER {key}"}),
    ("empty-x-api-key-uses-bearer", {"x-api-key": "", "authorization": "Bearer {key}"}),
    ("x-api-key-ignores-bad-authorization", {"x-api-key": "{key}", "authorization": "Basic abc"}),
    ("x-api-key-ignores-unknown-bearer", {"x-api-key": "{key}", "authorization": "Bearer sk-uprof-unknown"}),
    ("upper-case-header-name", {"X-API-KEY": "{key}"}),
]


@pytest.mark.parametrize("sent", [case[1] for case in AUTH_SUCCESSES], ids=[case[0] for case in AUTH_SUCCESSES])
def test_accepted_credentials(anonymous: httpx.Client, tenant: Tenant, sent: dict[str, str]) -> None:
    credentials = {name: value.replace("{key}", tenant.key) for name, value in sent.items()}
    response = anonymous.post("/v1/user_profiles", json={"name": "x"}, headers={**headers(), **credentials})
    assert response.status_code == 200, response.text
    assert response.headers["anthropic-organization-id"] == tenant.organization_id
    listing = anonymous.get("/v1/user_profiles", headers={**headers(), **credentials})
    assert [item["id"] for item in listing.json()["data"]] == [response.json()["id"]]


def test_revoked_key_is_refused_from_the_next_request(anonymous: httpx.Client, database: Database) -> None:
    name = f"test-{uuid.uuid4()}"
    revoked, spare = database.run(
        lambda connection: [accounts.create_key(connection, organization_name=name) for _ in range(2)], write=True
    )
    sent = {**headers(), "x-api-key": revoked.key}
    assert anonymous.get("/v1/user_profiles", headers=sent).status_code == 200
    assert database.run(lambda connection: accounts.revoke_key(connection, revoked.id), write=True) is True
    response = anonymous.post("/v1/user_profiles", json={"name": "x"}, headers=sent)
    assert_envelope(response, 401, "authentication_error", INVALID_KEY)
    assert "anthropic-organization-id" not in response.headers
    listing = anonymous.get("/v1/user_profiles", headers={**headers(), "x-api-key": spare.key})
    assert listing.json() == {"data": [], "next_page": None}


# docs/reference/http.md §4: anthropic-version


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (None, VERSION_REQUIRED),
        ("", VERSION_REQUIRED),
        (
            "2023-01-01",
            "anthropic-version: unsupported value '2023-01-01'; supported values are 2023-06-01, 2026-10-21",
        ),
        (
            "2026-10-22",
            "anthropic-version: unsupported value '2026-10-22'; supported values are 2023-06-01, 2026-10-21",
        ),
        ("latest", "anthropic-version: unsupported value 'latest'; supported values are 2023-06-01, 2026-10-21"),
        (
            "2023-06-01,2026-10-21",
            "anthropic-version: unsupported value '2023-06-01,2026-10-21'; supported values are 2023-06-01, 2026-10-21",
        ),
        (
            "v" * 100,
            f"anthropic-version: unsupported value '{'v' * 64}...'; supported values are 2023-06-01, 2026-10-21",
        ),
    ],
    ids=["missing", "empty", "old", "future", "word", "two-values", "long"],
)
def test_anthropic_version_errors(
    api: httpx.Client, shared: Organization, state: Snapshot, version: str | None, message: str
) -> None:
    before = state()
    for revision in ("R1", "GA"):
        sent = headers(revision)
        if version is None:
            del sent["anthropic-version"]
        else:
            sent["anthropic-version"] = version
        response = api.post("/v1/user_profiles", json={"name": "x"}, headers=sent)
        assert_invalid(response, message)
        assert response.headers["anthropic-organization-id"] == shared.organization_id
    assert state() == before


@pytest.mark.parametrize("version", ["2023-06-01", "2026-10-21"])
def test_supported_versions_behave_identically(fresh_api: httpx.Client, version: str) -> None:
    created = fresh_api.post("/v1/user_profiles", json={"name": "x"}, headers=headers("R2", anthropic_version=version))
    assert created.status_code == 200
    assert revision_of(created.json()) == "R2"


# docs/reference/http.md §5: anthropic-beta


BETA_CHOICES = [
    ([], "GA"),
    (["user-profiles-2026-03-24"], "R1"),
    (["user-profiles-2026-08-18"], "R2"),
    (["user-profiles-2026-09-04"], "R3"),
    (["user-profiles-2026-09-04,user-profiles-2026-08-18"], "R3"),
    (["user-profiles-2026-03-24,user-profiles-2026-08-18"], "R1"),
    (["user-profiles-2026-03-24", "user-profiles-2026-09-04"], "R1"),
    (["prompt-caching-2024-07-31, User-Profiles-2026-08-18"], "R2"),
    (["user-profiles-billing-2026-10-01"], "GA"),
    (["webhooks-2026-10-07"], "GA"),
    ([",, user-profiles-2026-09-04 ,\t,"], "R3"),
    (["", "user-profiles-2026-08-18"], "R2"),
    (["USER-PROFILES-2026-03-24"], "R1"),
    (["some-future-beta-2030-01-01,user-profiles-2026-08-18,user-profiles-2026-03-24"], "R2"),
]


@pytest.mark.parametrize(("lines", "expected"), BETA_CHOICES)
def test_anthropic_beta_selects_the_revision(
    api: httpx.Client, profile: dict[str, Any], lines: list[str], expected: str
) -> None:
    sent = [("anthropic-version", "2023-06-01"), *(("anthropic-beta", line) for line in lines)]
    response = api.get(f"/v1/user_profiles/{profile['id']}", headers=sent)
    assert response.status_code == 200, response.text
    assert revision_of(response.json()) == expected


@pytest.mark.parametrize(
    ("lines", "value"),
    [
        (["user-profiles-2027-01-01"], "user-profiles-2027-01-01"),
        (["User-Profiles-2027-01-01"], "user-profiles-2027-01-01"),
        (["user-profiles-2026-03-24,user-profiles-unknown"], "user-profiles-unknown"),
        (["user-profiles-2026-03-24", "user-profiles-"], "user-profiles-"),
        (["user-profiles-billing-2026-10-02"], "user-profiles-billing-2026-10-02"),
        (["user-profiles-2026-03-24 extra"], "user-profiles-2026-03-24 extra"),
        (["user-profiles-" + "z" * 100], "user-profiles-" + "z" * 50 + "..."),
    ],
    ids=["future", "mixed-case", "after-a-revision", "bare-prefix", "billing-lookalike", "inner-space", "long"],
)
def test_unknown_user_profiles_beta_is_rejected(
    api: httpx.Client, shared: Organization, state: Snapshot, lines: list[str], value: str
) -> None:
    sent = [("anthropic-version", "2023-06-01"), ("content-type", "application/json")]
    sent += [("anthropic-beta", line) for line in lines]
    before = state()
    response = api.post("/v1/user_profiles", content=b'{"name": "x"}', headers=sent)
    assert_invalid(response, f"anthropic-beta: unsupported beta header value '{value}'")
    assert response.headers["anthropic-organization-id"] == shared.organization_id
    assert state() == before


# docs/reference/http.md §6: ?beta=true


# Any value, even one no handler could read (U+0000); unknown parameters are ignored just the same
# (docs/reference/http.md §9).
@pytest.mark.parametrize(
    "query", ["?beta=true", "?beta=false", "?beta=", "?beta=1&beta=2", "?beta", "?beta=%00", "?other=%00&%00=1"]
)
@pytest.mark.parametrize("revision", ["R1", "GA"])
def test_beta_query_parameter_is_ignored(fresh_api: httpx.Client, query: str, revision: str) -> None:
    created = fresh_api.post(f"/v1/user_profiles{query}", json={"name": "x"}, headers=headers(revision))
    assert created.status_code == 200, created.text
    assert revision_of(created.json()) == revision
    profile_id = created.json()["id"]
    retrieved = fresh_api.get(f"/v1/user_profiles/{profile_id}{query}", headers=headers(revision))
    assert retrieved.json() == created.json()
    listing = fresh_api.get(f"/v1/user_profiles{query}", headers=headers(revision))
    assert listing.json() == {"data": [created.json()], "next_page": None}
    deleted = fresh_api.delete(f"/v1/user_profiles/{profile_id}{query}", headers=headers(revision))
    assert deleted.json() == {"id": profile_id, "type": "user_profile_deleted"}


# docs/reference/http.md §7: anthropic-workspace-id


class Keys:
    """An organization with a standard key, an admin key and keys for two workspaces, plus a foreign workspace."""

    def __init__(self, database: Database) -> None:
        suffix = uuid.uuid4().hex[:8]
        name = f"test-{uuid.uuid4()}"
        self.own = f"wrkspc_own{suffix}"
        self.other = f"wrkspc_other{suffix}"
        self.foreign = f"wrkspc_foreign{suffix}"

        def work(connection: Any) -> None:
            self.standard = accounts.create_key(connection, name="std", organization_name=name).key
            self.admin = accounts.create_key(connection, name="adm", admin=True, organization_name=name).key
            self.scoped = accounts.create_key(connection, workspace_id=self.own, organization_name=name).key
            accounts.create_key(connection, workspace_id=self.other, organization_name=name)
            accounts.create_key(connection, workspace_id=self.foreign, organization_name=f"{name}-foreign")
            self.organization_id = accounts.organization_for(connection, name)

        database.run(work, write=True)


@pytest.fixture
def keys(database: Database) -> Keys:
    return Keys(database)


@pytest.mark.parametrize(
    ("key", "sent", "status", "acting"),
    [
        ("scoped", None, 200, "own"),
        ("scoped", "", 200, "own"),
        ("scoped", "own", 200, "own"),
        ("scoped", "other", 403, "own"),
        ("scoped", "foreign", 403, "own"),
        ("scoped", "wrkspc_unknown", 403, "own"),
        ("standard", None, 200, None),
        ("standard", "", 200, None),
        ("standard", "own", 200, "own"),
        ("standard", "other", 200, "other"),
        ("standard", "foreign", 404, None),
        ("standard", "wrkspc_unknown", 404, None),
        ("standard", "not-a-workspace", 404, None),
        ("standard", "w" * 100, 404, None),
        ("admin", None, 200, None),
        ("admin", "other", 200, "other"),
        ("admin", "wrkspc_unknown", 404, None),
    ],
)
def test_workspace_header(
    server: Server, keys: Keys, key: str, sent: str | None, status: int, acting: str | None
) -> None:
    workspace = {"own": keys.own, "other": keys.other, "foreign": keys.foreign}.get(sent or "", sent)
    request_headers = {**headers(**JSON), "x-api-key": getattr(keys, key)}
    if workspace is not None:
        request_headers["anthropic-workspace-id"] = workspace
    with connect(server) as client:
        response = client.post("/v1/user_profiles", json={"name": "w"}, headers=request_headers)
        listing = client.get("/v1/user_profiles", headers={**headers(), "x-api-key": keys.standard})
    if status == 200:
        assert response.status_code == 200, response.text
        assert [item["id"] for item in listing.json()["data"]] == [response.json()["id"]]
    else:
        shown = workspace if len(workspace or "") <= 64 else f"{(workspace or '')[:64]}..."
        if status == 403:
            message = f"anthropic-workspace-id: this API key belongs to workspace {keys.own} and cannot act on {shown}"
            assert_envelope(response, 403, "permission_error", message)
        else:
            assert_envelope(response, 404, "not_found_error", f"anthropic-workspace-id: workspace {shown} not found")
        assert listing.json()["data"] == []
    assert response.headers["anthropic-organization-id"] == keys.organization_id
    expected = {"own": keys.own, "other": keys.other}.get(acting or "")
    assert response.headers.get("anthropic-workspace-id") == expected


@pytest.mark.parametrize("key", ["scoped", "standard"])
def test_a_scoped_key_names_its_workspace_even_when_refused(server: Server, keys: Keys, key: str) -> None:
    """docs/reference/http.md §8: the header is on every answer to a request that used a workspace, refusals after the
    key included."""
    with connect(server) as client:
        response = client.get("/v1/user_profiles", headers={"x-api-key": getattr(keys, key)})  # no anthropic-version
    assert_envelope(response, 400, "invalid_request_error", "anthropic-version: header is required")
    assert response.headers["anthropic-organization-id"] == keys.organization_id
    assert response.headers.get("anthropic-workspace-id") == (keys.own if key == "scoped" else None)


def test_workspaces_never_scope_profiles(server: Server, keys: Keys) -> None:
    with connect(server) as client:
        created = client.post("/v1/user_profiles", json={}, headers={**headers(), "x-api-key": keys.scoped})
        profile_id = created.json()["id"]
        for key, workspace in ((keys.standard, None), (keys.standard, keys.other), (keys.admin, keys.own)):
            sent = {**headers(), "x-api-key": key}
            if workspace is not None:
                sent["anthropic-workspace-id"] = workspace
            assert client.get(f"/v1/user_profiles/{profile_id}", headers=sent).json() == created.json()


# docs/reference/http.md §8: response headers


def test_response_headers_on_success_and_errors(
    fresh_api: httpx.Client, anonymous: httpx.Client, tenant: Tenant
) -> None:
    responses = {
        "create": fresh_api.post("/v1/user_profiles", json={}, headers=headers()),
        "list": fresh_api.get("/v1/user_profiles", headers=headers("R2")),
        "validation": fresh_api.post("/v1/user_profiles", json={"foo": 1}, headers=headers()),
        "lookup": fresh_api.get("/v1/user_profiles/uprof_000000000000000000000000", headers=headers()),
        "version": fresh_api.get("/v1/user_profiles", headers={}),
        "unauthenticated": anonymous.get("/v1/user_profiles", headers=headers()),
        "route": fresh_api.get("/v1/nowhere", headers=headers()),
        "method": fresh_api.put("/v1/user_profiles", headers=headers()),
    }
    request_ids = set()
    for name, response in responses.items():
        assert response.headers["content-type"] == "application/json", name
        assert response.headers["cache-control"] == "no-store", name
        assert REQUEST_ID.fullmatch(response.headers["request-id"]), name
        request_ids.add(response.headers["request-id"])
        if response.status_code >= 400:
            assert response.json()["request_id"] == response.headers["request-id"], name
        accepted = name in ("create", "list", "validation", "lookup", "version")
        assert response.headers.get("anthropic-organization-id") == (tenant.organization_id if accepted else None), name
        assert "anthropic-workspace-id" not in response.headers, name
        assert "allow" not in response.headers or name == "method", name
        assert "x-should-retry" not in response.headers, name
    assert len(request_ids) == len(responses)


# docs/reference/http.md §9: request bodies


def _nested(levels: int) -> bytes:
    """An object with `levels` levels of nesting in all: the body object and levels-1 arrays under `x`."""
    return b'{"x": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


CONTENT_TYPE = "content-type: must be application/json"
UTF8 = "body: not valid UTF-8"
NOT_OBJECT = "body: must be a JSON object"
NOT_ALLOWED_CHARACTER = "contains a character that is not allowed"
ENCODING = "request_body_encoding_unsupported"


def json_error(line: int, column: int) -> str:
    return f"body: invalid JSON at line {line}, column {column}"


BODY_ERRORS = [
    pytest.param(b'{"name": "a"}', {"content-type": "text/plain"}, CONTENT_TYPE, None, id="text-plain"),
    pytest.param(b'{"name": "a"}', {}, CONTENT_TYPE, None, id="no-content-type"),
    pytest.param(b"name=a", {"content-type": "application/x-www-form-urlencoded"}, CONTENT_TYPE, None, id="form"),
    pytest.param(b'{"name": "a"}', {"content-type": "application/jsonx"}, CONTENT_TYPE, None, id="lookalike"),
    pytest.param(
        b'{"name": "a"}', {"content-type": "application/json; charset=latin-1"}, CONTENT_TYPE, None, id="latin-1"
    ),
    pytest.param(
        b'{"name": "a"}', {**JSON, "content-encoding": "gzip"}, "content-encoding: 'gzip' is not supported", ENCODING,
        id="gzip",
    ),
    pytest.param(
        b'{"name": "a"}', {**JSON, "content-encoding": "br"}, "content-encoding: 'br' is not supported", ENCODING,
        id="br",
    ),
    pytest.param(
        b'{"name": "a"}', {**JSON, "content-encoding": "z" * 100},
        f"content-encoding: '{'z' * 64}...' is not supported", ENCODING, id="long-encoding-quoted-in-part",
    ),
    pytest.param(
        b"x", {"content-type": "text/plain", "content-encoding": "deflate"},
        "content-encoding: 'deflate' is not supported", ENCODING, id="encoding-before-content-type",
    ),
    pytest.param(b'{"name": "\xff\xfe"}', JSON, UTF8, None, id="invalid-utf8"),
    pytest.param(b'{"name": "\xc0\xaf"}', JSON, UTF8, None, id="overlong-utf8"),
    pytest.param(b'{"name": "\xed\xa0\x80"}', JSON, UTF8, None, id="utf8-encoded-surrogate"),
    pytest.param(b'{"name": "\xff"}', {"content-type": "text/plain"}, CONTENT_TYPE, None, id="content-type-first"),
    pytest.param(b'{"name": }', JSON, json_error(1, 10), None, id="missing-value"),
    pytest.param(b'{\n"a": 1,\n"b" 2}', JSON, json_error(3, 5), None, id="missing-colon"),
    pytest.param(b'{"name": "a"', JSON, json_error(1, 13), None, id="unterminated"),
    pytest.param(b"{'name': 'a'}", JSON, json_error(1, 2), None, id="single-quotes"),
    pytest.param(b"{} {}", JSON, json_error(1, 4), None, id="trailing-data"),
    pytest.param(b'{"name": "a\x00"}', JSON, json_error(1, 12), None, id="raw-control-character"),
    # NaN / Infinity and over-long integers: the messages docs/api.md chose (docs/reference/http.md names none).
    pytest.param(b'{"name": NaN}', JSON, "body: invalid JSON at line 1, column 10", None, id="nan"),
    pytest.param(b'{"name": Infinity}', JSON, "body: invalid JSON at line 1, column 10", None, id="infinity"),
    pytest.param(
        b"{\"a\": [1,\n  -Infinity]}", JSON, "body: invalid JSON at line 2, column 4", None, id="minus-infinity"
    ),
    pytest.param(
        b'{"n": "NaN",\n "x": NaN}', JSON, "body: invalid JSON at line 2, column 7", None, id="nan-after-string-nan"
    ),
    pytest.param(b"[]", JSON, NOT_OBJECT, None, id="array"),
    pytest.param(b'"{}"', JSON, NOT_OBJECT, None, id="string"),
    pytest.param(b"1", JSON, NOT_OBJECT, None, id="number"),
    pytest.param(b"null", JSON, NOT_OBJECT, None, id="null"),
    pytest.param(b"true", JSON, NOT_OBJECT, None, id="true"),
    pytest.param(b'{"name": "a", "name": "b"}', JSON, "name: duplicate key", None, id="duplicate"),
    pytest.param(b'{"metadata": {"k": "1", "k": "2"}}', JSON, "metadata.k: duplicate key", None, id="duplicate-nested"),
    pytest.param(b'{"x": [1, {"a": 1, "a": 1}]}', JSON, "x[1].a: duplicate key", None, id="duplicate-in-array"),
    pytest.param(_nested(33), JSON, "body: nesting too deep", None, id="too-deep"),
    pytest.param(_nested(100_000), JSON, "body: nesting too deep", None, id="far-too-deep"),
    pytest.param(_nested(32), JSON, "x: unknown field", None, id="deepest-allowed"),
    pytest.param(b'{"name": "a\\u0000b"}', JSON, f"name: {NOT_ALLOWED_CHARACTER}", None, id="nul"),
    pytest.param(b'{"name": "\\ud800"}', JSON, f"name: {NOT_ALLOWED_CHARACTER}", None, id="high-surrogate"),
    pytest.param(b'{"name": "\\udc00x"}', JSON, f"name: {NOT_ALLOWED_CHARACTER}", None, id="low-surrogate"),
    pytest.param(b'{"name": "\\ude00\\ud83d"}', JSON, f"name: {NOT_ALLOWED_CHARACTER}", None, id="reversed-pair"),
    pytest.param(
        b'{"metadata": {"k": "\\u0000"}}', JSON, f"metadata.k: {NOT_ALLOWED_CHARACTER}", None, id="nul-in-metadata"
    ),
    pytest.param(b'{"x": ["ok", "\\ud800"]}', JSON, f"x[1]: {NOT_ALLOWED_CHARACTER}", None, id="surrogate-in-array"),
    pytest.param(b'{"a\\u0000": "v"}', JSON, f"body: {NOT_ALLOWED_CHARACTER}", None, id="nul-in-key"),
    pytest.param(
        b'{"metadata": {"\\ud83d\\ude00": "\\ud83d"}}', JSON, f"metadata.\U0001f600: {NOT_ALLOWED_CHARACTER}", None,
        id="surrogate-after-emoji-key",
    ),
    pytest.param(b'{"name": ' + b"9" * 5000 + b"}", JSON, "name: must be a string or null", None, id="huge-integer"),
    pytest.param(b"{\"k\": -" + b"1" * 5000 + b"}", JSON, "k: unknown field", None, id="huge-negative"),
    pytest.param(
        b'{"metadata": {"a": ' + b"1" * 5000 + b"}}", JSON, "metadata.a: value must be a string", "invalid_metadata",
        id="huge-integer-in-metadata",
    ),
    pytest.param(b'{"name": ' + b"9" * 4000 + b"}", JSON, "name: must be a string or null", None, id="long-integer"),
    pytest.param(b'{"name": 1e999999}', JSON, "name: must be a string or null", None, id="huge-exponent"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "sent", "message", "code"), BODY_ERRORS)
def test_body_errors(
    api: httpx.Client,
    profile: dict[str, Any],
    state: Snapshot,
    content: bytes,
    sent: dict[str, str],
    message: str,
    code: str | None,
) -> None:
    before = state()
    for path in ("/v1/user_profiles", f"/v1/user_profiles/{profile['id']}"):  # create, update
        response = api.post(path, content=content, headers={**headers(), **sent})
        assert_invalid(response, message, code)
    assert state() == before


@pytest.mark.parametrize(
    ("content", "sent", "message"),
    [
        (b"{", {"content-type": "text/plain"}, "content-type: must be application/json"),
        (b"{", {"content-encoding": "gzip", **JSON}, "content-encoding: 'gzip' is not supported"),
        (b'{"action": 1, "action": 2}', JSON, "action: duplicate key"),
        (b'{"action": {"type": "enroll_end_user"}', JSON, "body: invalid JSON at line 1, column 39"),
        (b"[]", JSON, "body: must be a JSON object"),
    ],
)
@pytest.mark.parametrize("operation", ["enrollment_url", "action_urls"])
def test_body_errors_on_link_routes(
    api: httpx.Client,
    profile: dict[str, Any],
    state: Snapshot,
    content: bytes,
    sent: dict[str, str],
    message: str,
    operation: str,
) -> None:
    before = state()
    response = api.post(
        f"/v1/user_profiles/{profile['id']}/{operation}", content=content, headers={**headers("R2"), **sent}
    )
    code = "request_body_encoding_unsupported" if message.startswith("content-encoding") else None
    assert_invalid(response, message, code)
    assert state() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        "Application/JSON",
    ],
)
def test_accepted_content_types(fresh_api: httpx.Client, content_type: str) -> None:
    response = fresh_api.post(
        "/v1/user_profiles",
        content='{"name": "Zoë \\ud83d\\ude00"}'.encode(),
        headers={**headers(), "content-type": content_type, "content-encoding": "identity"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Zoë \U0001f600"


def test_empty_post_body_is_an_empty_object(
    fresh_api: httpx.Client, fresh_profile: dict[str, Any], fresh_state: Snapshot
) -> None:
    created = fresh_api.post("/v1/user_profiles", headers=headers("R1"))
    assert created.status_code == 200, created.text
    assert {key: created.json()[key] for key in ("external_id", "name", "relationship", "metadata")} == {
        "external_id": None,
        "name": None,
        "relationship": "external",
        "metadata": {},
    }
    before = fresh_state()
    updated = fresh_api.post(f"/v1/user_profiles/{fresh_profile['id']}", headers=headers())
    assert updated.json() == fresh_profile
    enrollment = fresh_api.post(f"/v1/user_profiles/{fresh_profile['id']}/enrollment_url", headers=headers("R3"))
    assert enrollment.json()["type"] == "enrollment_url"
    action = fresh_api.post(f"/v1/user_profiles/{fresh_profile['id']}/action_urls", headers=headers("R3"))
    assert_invalid(action, "action: field is required")
    after = fresh_state()
    assert after["profiles"] == before["profiles"]
    assert [row["kind"] for row in after["links"]] == ["enrollment"]


def test_get_and_delete_bodies_are_ignored(fresh_api: httpx.Client, fresh_profile: dict[str, Any]) -> None:
    garbage = b"\xff not json ["
    sent = {**headers(), "content-type": "text/plain", "content-encoding": "gzip"}
    retrieved = fresh_api.request("GET", f"/v1/user_profiles/{fresh_profile['id']}", content=garbage, headers=sent)
    assert retrieved.json() == fresh_profile
    listed = fresh_api.request("GET", "/v1/user_profiles", content=garbage, headers=sent)
    assert [item["id"] for item in listed.json()["data"]] == [fresh_profile["id"]]
    deleted = fresh_api.request("DELETE", f"/v1/user_profiles/{fresh_profile['id']}", content=garbage, headers=sent)
    assert deleted.json() == {"id": fresh_profile["id"], "type": "user_profile_deleted"}


# docs/reference/http.md §11–§12, §17: the envelope everywhere, never a 5xx or HTML


LIMIT = "limit: must be an integer from 1 to 100"
CURSOR = "page: not a valid cursor"
TIMESTAMP = "external_user_details.onboarded_at: must be a complete RFC 3339 timestamp with a UTC offset"
NASTY_REQUESTS = [
    pytest.param("GET", "/v1/user_profiles?limit=99999999999999999999999999999999", None, LIMIT, id="huge-limit"),
    pytest.param("GET", "/v1/user_profiles?limit=%00", None, f"limit: {NOT_ALLOWED_CHARACTER}", id="nul-limit"),
    pytest.param("GET", "/v1/user_profiles?limit=%D9%A3", None, LIMIT, id="arabic-digit-limit"),
    pytest.param("GET", "/v1/user_profiles?limit=1e1", None, LIMIT, id="exponent-limit"),
    pytest.param("GET", "/v1/user_profiles?page=page_%00%FF", None, f"page: {NOT_ALLOWED_CHARACTER}", id="nul-page"),
    pytest.param("GET", "/v1/user_profiles?page=" + "A" * 5000, None, CURSOR, id="long-page"),
    pytest.param("GET", "/v1/user_profiles?page=page_" + "A" * 5000, None, CURSOR, id="long-prefixed-page"),
    pytest.param("GET", "/v1/user_profiles?order=%ED%A0%80", None, "order: must be one of asc, desc", id="odd-order"),
    pytest.param(
        "GET", "/v1/user_profiles?enforcement_status=%00", None,
        f"enforcement_status: {NOT_ALLOWED_CHARACTER}", id="nul-filter",
    ),
    pytest.param(
        "POST", "/v1/user_profiles", b'{"external_user_details": {"onboarded_at": "99999-01-01T00:00:00Z"}}', TIMESTAMP,
        id="five-digit-year",
    ),
    pytest.param(
        "POST", "/v1/user_profiles", b'{"external_user_details": {"onboarded_at": "2026-13-01T00:00:00Z"}}', TIMESTAMP,
        id="month-13",
    ),
    pytest.param(
        "POST", "/v1/user_profiles", b'{"external_user_details": {"onboarded_at": 1e999}}',
        "external_user_details.onboarded_at: must be an RFC 3339 timestamp", id="infinite-timestamp",
    ),
    pytest.param(
        "POST", "/v1/user_profiles", b'{"name": ["' + b"x" * 10_000 + b'"]}', "name: must be a string or null",
        id="list-name",
    ),
    pytest.param(
        "POST", "/v1/user_profiles", b'{"' + b"k" * 100_000 + b'": 1}', "k" * 64 + "...: unknown field",
        id="long-unknown-key",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "content", "message"), NASTY_REQUESTS)
def test_nothing_the_client_sends_causes_a_5xx(
    api: httpx.Client, state: Snapshot, method: str, path: str, content: bytes | None, message: str
) -> None:
    before = state()
    response = api.request(method, path, content=content, headers=headers(**JSON))
    assert_invalid(response, message)
    assert "<html" not in response.text.lower()
    assert state() == before


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/v1/user_profiles", "page=%00", "page"),
        ("/v1/user_profiles", "order=asc%00", "order"),
        ("/v1/admin/user_profiles", "q=%00", "q"),
        ("/v1/admin/enrollments", "user_profile_id=uprof_%00", "user_profile_id"),
    ],
)
def test_nul_in_a_query_parameter_is_a_clean_400(
    server: Server, database: Database, path: str, query: str, name: str
) -> None:
    admin_key = database.run(
        lambda c: accounts.create_key(c, admin=True, organization_name=f"nul-{uuid.uuid4()}").key, write=True
    )
    response = httpx.get(f"{server.url}{path}?{query}", headers={"x-api-key": admin_key, **R1_HEADERS})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": f"{name}: contains a character that is not allowed",
    }
