"""Hostile request bodies sent to the real server on every route that takes one (docs/reference/http.md §9, §10, §17):
bodies over the size limit, bytes that are not UTF-8, NUL characters, numbers of thousands of digits,
duplicate JSON keys and content types other than JSON.

tests/unit/test_request_body.py checks the body reader itself and tests/e2e/rules/test_http_rules.py the
exact rules on the profile routes; here every attack goes to each of the seven body-taking routes, the
Admin API and webhook endpoints included, inside a body that would otherwise be accepted (a create, an
update, a link, a program change, an enforcement action, an endpoint). Each answer must be the JSON
envelope with the expected 4xx, nothing the organization owns may change, and the server must keep
answering. What was sent and answered is recorded with the other hostile input, in
artifacts/reliability/hostile.json (the `<backend>-bodies` entries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, select

from tests.databases import backend_of
from tests.e2e import hostile_support as hostile
from tests.e2e.conftest import Server
from tests.e2e.hostile_support import R1, Organization, envelope, healthy, new_organization, noted
from tests.e2e.reliability_support import GA, WEBHOOKS, record_figures
from uprof.db.unit_of_work import Database
from uprof.links.models import link
from uprof.profiles.models import user_profile
from uprof.provider.models import enrollment
from uprof.standing.models import enforcement_action, identity_check
from uprof.webhooks.models import webhook_endpoint, webhook_event

LIMIT = 1_048_576  # the default of --max-body-bytes
TOO_LARGE = f"request body exceeds the {LIMIT}-byte limit"
JSON = "application/json"
OWNED: list[Table] = [
    user_profile,
    enforcement_action,
    enrollment,
    identity_check,
    link,
    webhook_endpoint,
    webhook_event,
]


@dataclass(frozen=True)
class BodyRoute:
    """A route that takes a body, a body it accepts, and the string value in it that attacks replace."""

    method: str
    path: str
    admin: bool
    base: dict[str, str]
    body: bytes
    carrier: str  # the JSON path of the string value attacks go into
    value: bytes  # that value, as it appears in `body`
    accepted: bytes | None = None  # the body the route accepts, when `body` carries a field it does not take

    @property
    def plain(self) -> bytes:
        """A body the route accepts."""
        return self.accepted if self.accepted is not None else self.body

    @property
    def key(self) -> str:
        """The carrier's own key (the last part of its path)."""
        return self.carrier.rsplit(".", 1)[-1]

    def replaced(self, new: bytes) -> bytes:
        """The body with the carrier's quoted value replaced by `new` (raw JSON text)."""
        quoted = b'"' + self.value + b'"'
        assert self.body.count(quoted) == 1
        return self.body.replace(quoted, new)


ROUTES = [
    BodyRoute("POST", "/v1/user_profiles", False, R1, b'{"name": "Ada", "metadata": {"plan": "pro"}}', "name", b"Ada"),
    BodyRoute("POST", "/v1/user_profiles/{id}", False, GA, b'{"name": "Ada"}', "name", b"Ada"),
    # Takes no field: the carrier is refused as unknown, but only after the body reader's checks.
    BodyRoute("POST", "/v1/user_profiles/{id}/enrollment_url", False, R1, b'{"note": "Ada"}', "note", b"Ada", b"{}"),
    BodyRoute(
        "POST",
        "/v1/user_profiles/{id}/action_urls",
        False,
        GA,
        b'{"action": {"type": "enroll_end_user"}}',
        "action.type",
        b"enroll_end_user",
    ),
    BodyRoute(
        "POST", "/v1/admin/user_profiles/{id}/programs/cyber", True, GA, b'{"status": "active"}', "status", b"active"
    ),
    BodyRoute(
        "POST",
        "/v1/admin/user_profiles/{id}/enforcement_actions",
        True,
        GA,
        b'{"type": "ban", "reason": "high_harm", "note": "Ada"}',
        "note",
        b"Ada",
    ),
    BodyRoute(
        "POST",
        "/v1/organizations/webhooks",
        True,
        WEBHOOKS,
        b'{"url": "http://127.0.0.1:9/hooks", "enabled_events": ["user_profile.program_status_updated"], '
        b'"name": "Ada"}',
        "name",
        b"Ada",
    ),
]


@dataclass(frozen=True)
class Attack:
    """A change to an accepted body (and its content type) and the answer it must get: a status and
    the exact message, or only the message's start where it names the field the number landed in."""

    name: str
    make: Callable[[BodyRoute], bytes]
    status: int
    message: Callable[[BodyRoute, bytes], str]
    content_type: str | None = JSON
    exact: bool = True


def raw_nul_position(route: BodyRoute, sent: bytes) -> str:
    """A raw control character is a JSON syntax error, reported where it stands."""
    column = sent.index(b"\x00") + 1
    return f"body: invalid JSON at line 1, column {column}"


def padded(route: BodyRoute) -> bytes:
    """The accepted body with trailing spaces (still valid JSON) up to one byte over the limit."""
    return route.plain + b" " * (LIMIT + 1 - len(route.plain))


NOT_ALLOWED = "contains a character that is not allowed"
NOT_JSON = "content-type: must be application/json"
ATTACKS = [
    Attack("body over the limit (declared length)", padded, 413, lambda r, s: TOO_LARGE),
    Attack(
        "invalid UTF-8 (\\xff\\xfe)", lambda r: r.replaced(b'"\xff\xfe"'), 400, lambda r, s: "body: not valid UTF-8"
    ),
    Attack(
        "invalid UTF-8 (overlong \\xc0\\xaf)",
        lambda r: r.replaced(b'"..\xc0\xaf"'),
        400,
        lambda r, s: "body: not valid UTF-8",
    ),
    Attack(
        "invalid UTF-8 (encoded surrogate \\xed\\xa0\\x80)",
        lambda r: r.replaced(b'"\xed\xa0\x80"'),
        400,
        lambda r, s: "body: not valid UTF-8",
    ),
    Attack(
        "NUL (\\u0000 in a value)",
        lambda r: r.replaced(b'"' + r.value + b'\\u0000x"'),
        400,
        lambda r, s: f"{r.carrier}: {NOT_ALLOWED}",
    ),
    Attack(
        "NUL (\\u0000 in a key)",
        lambda r: b'{"k\\u0000": 1, ' + r.body[1:],
        400,
        lambda r, s: f"body: {NOT_ALLOWED}",
    ),
    Attack("NUL (raw byte in a value)", lambda r: r.replaced(b'"' + r.value + b'\x00"'), 400, raw_nul_position),
    Attack(
        "huge number (5,000-digit integer)",
        lambda r: r.replaced(b"9" * 5000),
        400,
        lambda r, s: f"{r.carrier}: ",
        exact=False,
    ),
    Attack(
        "huge number (-5,000-digit integer)",
        lambda r: r.replaced(b"-" + b"1" * 5000),
        400,
        lambda r, s: f"{r.carrier}: ",
        exact=False,
    ),
    Attack(
        "huge number (1e999999)", lambda r: r.replaced(b"1e999999"), 400, lambda r, s: f"{r.carrier}: ", exact=False
    ),
    Attack(
        "duplicate JSON key",
        lambda r: r.replaced(b'"' + r.value + b'", "' + r.key.encode() + b'": "' + r.value + b'"'),
        400,
        lambda r, s: f"{r.carrier}: duplicate key",
    ),
    Attack("wrong content type (text/plain)", lambda r: r.plain, 400, lambda r, s: NOT_JSON, "text/plain"),
    Attack("wrong content type (none)", lambda r: r.plain, 400, lambda r, s: NOT_JSON, None),
    Attack(
        "wrong content type (form)",
        lambda r: r.plain,
        400,
        lambda r, s: NOT_JSON,
        "application/x-www-form-urlencoded",
    ),
    Attack(
        "wrong content type (multipart)",
        lambda r: r.plain,
        400,
        lambda r, s: NOT_JSON,
        "multipart/form-data; boundary=x",
    ),
    Attack(
        "wrong content type (application/jsonx)", lambda r: r.plain, 400, lambda r, s: NOT_JSON, "application/jsonx"
    ),
    Attack(
        "wrong content type (JSON in latin-1)",
        lambda r: r.plain,
        400,
        lambda r, s: NOT_JSON,
        "application/json; charset=latin-1",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def attack_log(database_url: str) -> Iterator[None]:
    """Record what this module tried, with the other hostile input (hostile_support.ATTACKS)."""
    hostile.ATTACKS.clear()
    yield
    record_figures(
        "hostile",
        f"{backend_of(database_url)}-bodies",
        {"attacks": len(hostile.ATTACKS), "answers": list(hostile.ATTACKS)},
    )
    hostile.ATTACKS.clear()


@pytest.fixture
def org(server: Server, database: Database) -> Organization:
    return new_organization(server, database, ["Ada", "Grace"])


def owned_rows(database: Database, organization_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the organization owns in the tables a body could change."""

    def work(connection: Any) -> dict[str, list[dict[str, Any]]]:
        rows = {}
        for table in OWNED:
            query = select(table).where(table.c.organization_id == organization_id).order_by(*table.primary_key)
            rows[table.name] = [dict(row) for row in connection.execute(query).mappings()]
        return rows

    return database.run(work, write=False)


def send(server: Server, org: Organization, route: BodyRoute, content: Any, content_type: str | None) -> httpx.Response:
    sent = org.headers(admin=route.admin, base=route.base)
    if content_type is not None:
        sent["content-type"] = content_type
    path = route.path.replace("{id}", org.profiles[0]["id"])
    return httpx.request(route.method, f"{server.url}{path}", headers=sent, content=content, timeout=30)


def test_the_bodies_are_accepted_as_sent(server: Server, database: Database) -> None:
    """Each route's body, unattacked, succeeds: the attacks below change only what they name."""
    org = new_organization(server, database, ["Ada"])
    for route in ROUTES:
        response = send(server, org, route, route.plain, JSON)
        assert response.status_code == 200, (route.path, response.text)


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_a_hostile_body_is_refused_on_every_route(
    server: Server, database: Database, org: Organization, attack: Attack
) -> None:
    before = owned_rows(database, org.keys.organization_id)
    for route in ROUTES:
        content = attack.make(route)
        response = send(server, org, route, content, attack.content_type)
        noted(f"{attack.name} on {route.method} {route.path}", response)
        expected = attack.message(route, content)
        error_type = "request_too_large" if attack.status == 413 else "invalid_request_error"
        envelope(response, attack.status, error_type, expected if attack.exact else None)
        assert response.json()["error"]["message"].startswith(expected), response.text
    assert owned_rows(database, org.keys.organization_id) == before
    assert healthy(server)


def test_a_chunked_body_over_the_limit_is_refused_on_every_route(
    server: Server, database: Database, org: Organization
) -> None:
    """No declared length: the body is refused as soon as it passes the limit."""
    before = owned_rows(database, org.keys.organization_id)
    for route in ROUTES:
        body = padded(route)
        chunks = (body[start : start + 64 * 1024] for start in range(0, len(body), 64 * 1024))
        response = send(server, org, route, chunks, JSON)
        assert "content-length" not in response.request.headers
        noted(f"body over the limit (chunked) on {route.method} {route.path}", response)
        envelope(response, 413, "request_too_large", TOO_LARGE)
    assert owned_rows(database, org.keys.organization_id) == before
    assert healthy(server)


LISTS = [
    ("/v1/user_profiles", False, GA),
    ("/v1/admin/enrollments", True, GA),
    ("/v1/admin/user_profiles", True, GA),
    ("/v1/organizations/webhooks", True, WEBHOOKS),
]
HUGE_LIMITS = {"5,000-digit integer": "9" * 5000, "-5,000-digit integer": "-" + "1" * 5000, "1e999999": "1e999999"}


@pytest.mark.parametrize("path", [path for path, _, _ in LISTS])
def test_a_huge_number_in_a_query_is_refused(server: Server, org: Organization, path: str) -> None:
    admin, base = next((admin, base) for listed, admin, base in LISTS if listed == path)
    for name, value in HUGE_LIMITS.items():
        response = httpx.get(
            f"{server.url}{path}", params={"limit": value}, headers=org.headers(admin=admin, base=base), timeout=10
        )
        noted(f"huge number in a query (limit={name}) on GET {path}", response)
        envelope(response, 400, "invalid_request_error")
        assert response.json()["error"]["message"].startswith("limit: "), response.text
    assert healthy(server)
