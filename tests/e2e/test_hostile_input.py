"""Hostile input the transport rules of rules/test_http_rules.py do not reach: oversized headers and request
lines, JSON nested 10,000 levels deep on every route that takes a body, clients that send part of a
request and stall, path tricks in IDs (traversal, encodings, Unicode look-alikes of real IDs), and list
cursors replayed, spliced or forged across organizations (docs/reference/http.md §17, §7,
docs/reference/profiles.md §4.4).

Each answer must be a 4xx in the JSON envelope (never a 5xx, never another body), nothing stored may
change, and the server must keep answering others. Requests whose path an HTTP client would
normalise or refuse go through `http.client`, which sends the request line as given.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.databases import backend_of
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.hostile_support import (
    ATTACKS,
    R1,
    Answer,
    Organization,
    envelope,
    healthy,
    new_organization,
    noted,
    raw,
    stored_profiles,
)
from tests.e2e.reliability_support import GA, WEBHOOKS, record_figures
from tests.e2e.waiting import wait_until
from uprof.db.unit_of_work import Database

KIB = 1024


@pytest.fixture
def org(server: Server, database: Database) -> Organization:
    return new_organization(server, database, ["Ada", "Grace"])


@pytest.fixture(scope="module", autouse=True)
def attack_log(database_url: str) -> Iterator[None]:
    ATTACKS.clear()
    yield
    record_figures("hostile", backend_of(database_url), {"attacks": len(ATTACKS), "answers": list(ATTACKS)})


# --- oversized headers and request lines --------------------------------------------------------------


BIG = 64 * KIB
LONG_HEADERS = [
    pytest.param("x-padding", "p" * BIG, 200, None, None, id="unknown-header"),
    pytest.param("x-api-key", "k" * BIG, 401, "authentication_error", "invalid API key", id="x-api-key"),
    pytest.param(
        "authorization", "Bearer " + "k" * BIG, 401, "authentication_error", "invalid API key", id="authorization"
    ),
    pytest.param(
        "anthropic-version",
        "v" * BIG,
        400,
        "invalid_request_error",
        f"anthropic-version: unsupported value '{'v' * 64}...'; supported values are 2023-06-01, 2026-10-21",
        id="anthropic-version",
    ),
    pytest.param(
        "anthropic-beta",
        "user-profiles-" + "b" * BIG,
        400,
        "invalid_request_error",
        f"anthropic-beta: unsupported beta header value 'user-profiles-{'b' * 50}...'",
        id="anthropic-beta",
    ),
    pytest.param(
        "anthropic-workspace-id",
        "wrkspc_" + "w" * BIG,
        404,
        "not_found_error",
        f"anthropic-workspace-id: workspace wrkspc_{'w' * 57}... not found",
        id="anthropic-workspace-id",
    ),
]


@pytest.mark.parametrize(("name", "value", "status", "error_type", "message"), LONG_HEADERS)
def test_a_64_kib_header_gets_a_plain_answer(
    server: Server,
    database: Database,
    org: Organization,
    name: str,
    value: str,
    status: int,
    error_type: str | None,
    message: str | None,
) -> None:
    before = stored_profiles(database, org.keys.organization_id)
    sent = {**org.headers(), "content-type": "application/json"}
    if name in ("x-api-key", "authorization"):
        del sent["x-api-key"]
    sent[name] = value
    answer = raw(server, "POST", "/v1/user_profiles", sent, b'{"name": "x"}')
    noted(f"64 KiB {name} header", answer)
    if status == 200:
        assert answer.status == 200 and answer.json()["name"] == "x"
    else:
        envelope(answer, status, error_type or "", message)
        assert stored_profiles(database, org.keys.organization_id) == before
    assert healthy(server)


HEAD_LIMIT_MESSAGE = "request: the request line and header fields exceed the 262144-byte limit"


def test_a_megabyte_of_headers_is_refused_with_431(server: Server, org: Organization) -> None:
    """One 1 MiB header, then 4,000 small ones: refused once the head passes 256 KiB, before it is all
    buffered, and the server carries on."""
    one = raw(server, "GET", "/v1/user_profiles", {**org.headers(), "x-padding": "p" * (1024 * KIB)})
    noted("1 MiB header", one)
    many = raw(server, "GET", "/v1/user_profiles", {**org.headers(), **{f"x-h{n}": "v" * 200 for n in range(4000)}})
    noted("4,000 headers", many)
    for answer in (one, many):
        envelope(answer, 431, "invalid_request_error", HEAD_LIMIT_MESSAGE)
        assert answer.headers.get("connection") == "close"
    assert healthy(server)


def test_a_long_id_just_below_the_request_line_limit_is_not_found(server: Server, org: Organization) -> None:
    answer = raw(server, "GET", "/v1/user_profiles/" + "a" * (60 * KIB), org.headers())
    noted("60 KiB ID in the path", answer)
    envelope(answer, 404, "not_found_error", "user profile not found")


def test_a_100_kib_path_is_refused_in_the_json_envelope(server: Server, org: Organization) -> None:
    """docs/reference/http.md §17: every /v1/ error is the JSON envelope, errors raised before routing included."""
    answer = raw(server, "GET", "/v1/user_profiles/" + "a" * (100 * KIB), org.headers())
    noted("100 KiB path", answer)
    assert 400 <= answer.status < 500
    assert answer.headers.get("content-type") == "application/json", (answer.status, answer.headers, answer.body)
    envelope(answer, answer.status, "not_found_error" if answer.status == 404 else "invalid_request_error")
    assert healthy(server)


# --- JSON nested 10,000 levels deep ---------------------------------------------------------------------


def nested_objects(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels


def nested_in(key: str, levels: int) -> bytes:
    """`{"<key>": {"a": {"a": … 1 …}}}` with `levels` levels in all."""
    return b'{"' + key.encode() + b'": ' + nested_objects(levels - 1) + b"}"


def nested_mixed(levels: int) -> bytes:
    """Objects and arrays alternating: `{"a": [{"a": [ … ]}]}`."""
    opening = b"".join(b'{"a": ' if level % 2 == 0 else b"[" for level in range(levels))
    closing = b"".join(b"}" if level % 2 == 0 else b"]" for level in reversed(range(levels)))
    return opening + b"null" + closing


DEEP = 10_000
DEEP_BODIES = {
    "objects": nested_objects(DEEP),
    "in-metadata": nested_in("metadata", DEEP),
    "in-metadata-value": b'{"metadata": {"k": ' + nested_objects(DEEP - 2) + b"}}",
    "arrays-at-the-top": b"[" * DEEP + b"]" * DEEP,
    "mixed": nested_mixed(DEEP),
}
DEEP_ROUTES = [
    ("POST", "/v1/user_profiles", "standard", R1),
    ("POST", "/v1/user_profiles/{id}", "standard", GA),
    ("POST", "/v1/user_profiles/{id}/enrollment_url", "standard", R1),
    ("POST", "/v1/user_profiles/{id}/action_urls", "standard", GA),
    ("POST", "/v1/admin/user_profiles/{id}/programs/cyber", "admin", GA),
    ("POST", "/v1/admin/user_profiles/{id}/enforcement_actions", "admin", GA),
    ("POST", "/v1/organizations/webhooks", "admin", WEBHOOKS),
]


@pytest.mark.parametrize("shape", list(DEEP_BODIES))
def test_json_nested_10000_levels_is_refused_on_every_route(
    server: Server, database: Database, org: Organization, shape: str
) -> None:
    before = stored_profiles(database, org.keys.organization_id)
    profile_id = org.profiles[0]["id"]
    for method, path, key, base in DEEP_ROUTES:
        sent = {**org.headers(admin=key == "admin", base=base), "content-type": "application/json"}
        answer = raw(server, method, path.replace("{id}", profile_id), sent, DEEP_BODIES[shape])
        noted(f"JSON nested {DEEP} levels ({shape}) on {method} {path}", answer)
        envelope(answer, 400, "invalid_request_error", "body: nesting too deep")
    assert stored_profiles(database, org.keys.organization_id) == before
    assert healthy(server)


# --- clients that stall -------------------------------------------------------------------------------


STALLED = 24  # connections of each kind held open at once


def stalled_connections(server: Server, key: str) -> list[socket.socket]:
    """Half send part of the header block and stop; half send the headers and 10 of 1,000 body bytes."""
    address = urlsplit(server.url)
    sockets = []
    for n in range(STALLED * 2):
        sock = socket.create_connection((address.hostname, address.port), timeout=10)
        if n % 2 == 0:
            sock.sendall(f"POST /v1/user_profiles HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\nanthropic-ver".encode())
        else:
            sock.sendall(
                f"POST /v1/user_profiles HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\nanthropic-version: 2023-06-01\r\n"
                f'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{"name": "'.encode()
            )
        sockets.append(sock)
    return sockets


def test_stalled_clients_do_not_hold_up_others(server: Server, database: Database, org: Organization) -> None:
    sockets = stalled_connections(server, org.keys.standard)
    try:
        time.sleep(0.3)  # the server has read what they sent
        timings = []
        with httpx.Client(base_url=server.url, headers=org.headers(), timeout=10) as client:
            for n in range(10):
                began = time.monotonic()
                created = client.post("/v1/user_profiles", json={"name": f"meanwhile-{n}"})
                read = client.get(f"/v1/user_profiles/{created.json()['id']}")
                timings.append(time.monotonic() - began)
                assert (created.status_code, read.status_code) == (200, 200)
            with ThreadPoolExecutor(4) as pool:  # and several at once
                statuses = list(pool.map(lambda _: client.get("/v1/user_profiles").status_code, range(20)))
        assert statuses == [200] * 20
        assert max(timings) < 2.0, timings
        ATTACKS.append(
            {
                "attack": f"{STALLED} connections stalled mid-headers and {STALLED} mid-body, held open",
                "status": 200,
                "answer": f"other clients served meanwhile, slowest create+read {max(timings) * 1000:.0f} ms",
            }
        )
        # A stalled body that finally arrives is handled normally.
        late = sockets[1]
        late.sendall(b"late" + b'"}' + b" " * (1000 - len(b'{"name": "') - len(b'late"}')))
        reply = late.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in sockets:
            sock.close()
    names = {row["name"] for row in stored_profiles(database, org.keys.organization_id)}
    assert names == {"Ada", "Grace", "late", *(f"meanwhile-{n}" for n in range(10))}
    assert healthy(server)


CLIENT_TIMEOUT = 2  # seconds, for the impatient server below
STALLS = {
    "nothing sent": b"",
    "half the headers": b"POST /v1/user_profiles HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\nanthropic-ver",
    "headers, then 10 of 1,000 body bytes": (
        b"POST /v1/user_profiles HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\nanthropic-version: 2023-06-01\r\n"
        b'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{"name": "'
    ),
}


@pytest.fixture(scope="module")
def impatient_server(database_url: str) -> Iterator[Server]:
    running = start_server(database_url, "--client-timeout", str(CLIENT_TIMEOUT))
    yield running
    stop_server(running)


def until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize("stall", list(STALLS))
def test_a_client_too_slow_to_send_its_request_gets_a_400_and_is_disconnected(
    impatient_server: Server, database: Database, org: Organization, stall: str
) -> None:
    before = stored_profiles(database, org.keys.organization_id)
    address = urlsplit(impatient_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=CLIENT_TIMEOUT + 10) as sock:
        began = time.monotonic()
        sock.sendall(STALLS[stall].replace(b"{key}", org.keys.standard.encode()))
        received = until_closed(sock)  # the server closes the connection after its answer
        waited = time.monotonic() - began
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    answer = Answer(int(lines[0].split()[1]), headers, body)
    noted(f"a client that stalls after {stall}", answer)
    envelope(answer, 400, "invalid_request_error", f"request: not received in full within {CLIENT_TIMEOUT} seconds")
    assert CLIENT_TIMEOUT - 0.5 <= waited < CLIENT_TIMEOUT + 5, waited
    assert stored_profiles(database, org.keys.organization_id) == before
    if stall.startswith("headers"):  # the app had the request: its log line shows the answer, under its ID
        request_id = answer.json()["request_id"]
        wait_until(  # written once the app has seen the disconnect, maybe after the client saw the close
            lambda: any(request_id in line and " 400 " in line for line in impatient_server.output().splitlines()),
            "the request log line of the request that timed out",
        )
    assert healthy(impatient_server)


def test_a_client_that_leaves_mid_body_is_logged_not_a_server_error(
    server: Server, database: Database, org: Organization
) -> None:
    """Closing the connection halfway through a body is the client's doing: counted as 499 (nginx's
    "client closed request"), never as a 500 or an error in the log."""
    before = stored_profiles(database, org.keys.organization_id)
    address = urlsplit(server.url)
    for _ in range(5):
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(STALLS["headers, then 10 of 1,000 body bytes"].replace(b"{key}", org.keys.standard.encode()))
            time.sleep(0.1)
    time.sleep(0.3)
    prefix = 'uprof_http_requests_total{method="POST",route="/v1/user_profiles",status="'
    counted = {
        line.removeprefix(prefix).partition('"')[0]: float(line.rpartition(" ")[2])
        for line in httpx.get(f"{server.url}/metrics", timeout=5).text.splitlines()
        if line.startswith(prefix)
    }
    ATTACKS.append(
        {"attack": "5 clients that close the connection mid-body", "status": 499, "answer": "logged as 499, no 5xx"}
    )
    assert counted.get("499", 0) >= 5 and "500" not in counted, counted
    assert "unhandled error" not in server.output() and "ClientDisconnect" not in server.output()
    assert stored_profiles(database, org.keys.organization_id) == before
    assert healthy(server)


# --- path tricks in IDs -------------------------------------------------------------------------------

FULLWIDTH = {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)}  # NFKC maps them back to ASCII


def look_alikes(profile_id: str) -> dict[str, str]:
    """Spellings that a normalising or case-insensitive lookup would confuse with the real ID."""
    body = profile_id.removeprefix("uprof_")
    return {
        "cyrillic-p": "u\u0440rof_" + body,  # р, CYRILLIC SMALL LETTER ER
        "cyrillic-o": "upr\u043ef_" + body,  # о, CYRILLIC SMALL LETTER O
        "fullwidth": "".join(FULLWIDTH.get(c, c) for c in profile_id),
        "fullwidth-prefix": "\uff55prof_" + body,
        "math-bold-u": "\U0001d42eprof_" + body,
        "swapped-case": "uprof_" + body.swapcase(),
        "zero-width-space": profile_id + "\u200b",
        "combining-mark": profile_id + "\u0301",
        "trailing-nbsp": profile_id + "\u00a0",
        "dotless-i": profile_id.replace("i", "\u0131") if "i" in body else "upr\u0131of_" + body,
    }


def test_unicode_look_alikes_of_a_real_id_never_reach_it(server: Server, database: Database, org: Organization) -> None:
    target = org.profiles[0]
    before = stored_profiles(database, org.keys.organization_id)
    with httpx.Client(base_url=server.url, headers=org.headers(), timeout=10) as client:
        for name, spelled in look_alikes(target["id"]).items():
            path = f"/v1/user_profiles/{quote(spelled, safe='')}"
            for method, body in (("GET", None), ("POST", {"name": "hijacked"}), ("DELETE", None)):
                answer = client.request(method, path, json=body)
                noted(f"look-alike ID ({name}), {method}", answer)
                envelope(answer, 404, "not_found_error", "user profile not found")
            action = client.post(f"{path}/action_urls", json={"action": {"type": "enroll_end_user"}})
            envelope(action, 404, "not_found_error", "user profile not found")
            admin = client.post(
                f"/v1/admin/user_profiles/{quote(spelled, safe='')}/programs/cyber",
                json={"status": "active"},
                headers={"x-api-key": org.keys.admin},
            )
            envelope(admin, 404, "not_found_error", "user profile not found")
    assert stored_profiles(database, org.keys.organization_id) == before


TRAVERSALS = [
    # (path, expected status, expected message): routing matches the encoded path, so an encoded
    # slash stays inside the ID (404 for the profile) and a raw `..` segment matches no route.
    ("/v1/user_profiles/..%2F..%2Fadmin%2Fuser_profiles", 404, "user profile not found"),
    ("/v1/user_profiles/..%2f..%2fv1%2fadmin%2fuser_profiles", 404, "user profile not found"),
    ("/v1/user_profiles/%2e%2e%2f%2e%2e%2fadmin%2fuser_profiles", 404, "user profile not found"),
    ("/v1/user_profiles/%252e%252e%252fadmin", 404, "user profile not found"),
    ("/v1/user_profiles/..%5C..%5Cadmin", 404, "user profile not found"),
    ("/v1/user_profiles/{id}%2F..%2F{other}", 404, "user profile not found"),
    ("/v1/user_profiles/{id};{other}", 404, "user profile not found"),
    ("/v1/user_profiles/../admin/user_profiles", 404, "not found"),
    ("/v1/user_profiles/%2e%2e/%2e%2e/admin/user_profiles", 404, "not found"),
    ("/v1/admin/../user_profiles", 404, "not found"),
    ("/v1/admin/user_profiles/../../user_profiles", 404, "not found"),
    ("/v1/./user_profiles", 404, "not found"),
    ("/v1/user_profiles/{id}/../../admin/user_profiles/{id}", 404, "not found"),
    ("/v1/user_profiles/{id}/%2e%2e/{other}", 404, "not found"),
]


@pytest.mark.parametrize(("path", "status", "message"), TRAVERSALS)
def test_path_traversal_in_ids_goes_nowhere(
    server: Server, database: Database, org: Organization, path: str, status: int, message: str
) -> None:
    """Sent with a standard key: a traversal that reached the Admin API would answer 403, one that
    reached another profile or the list would answer 200."""
    before = stored_profiles(database, org.keys.organization_id)
    concrete = path.replace("{id}", org.profiles[0]["id"]).replace("{other}", org.profiles[1]["id"])
    for method in ("GET", "POST", "DELETE"):
        body = b'{"name": "moved"}' if method == "POST" else None
        answer = raw(server, method, concrete, {**org.headers(), "content-type": "application/json"}, body)
        noted(f"traversal {path} ({method})", answer)
        envelope(answer, status, "not_found_error", message)
    assert stored_profiles(database, org.keys.organization_id) == before


def test_path_tricks_in_webhook_and_admin_ids(server: Server, org: Organization) -> None:
    hooks = httpx.Client(base_url=server.url, headers=org.headers(admin=True, base=WEBHOOKS), timeout=10)
    with hooks:
        created = hooks.post(
            "/v1/organizations/webhooks",
            json={
                "url": "http://127.0.0.1:9/hooks",
                "enabled_events": ["user_profile.program_status_updated"],
            },
        )
        assert created.status_code == 200, created.text
        endpoint_id = created.json()["id"]
        disable = hooks.post(f"/v1/organizations/webhooks/{endpoint_id}", json={"state": "disabled"})
        assert disable.status_code == 200  # no delivery is ever attempted
        for spelled in (
            endpoint_id.swapcase(),
            "".join(FULLWIDTH.get(c, c) for c in endpoint_id),
            f"{endpoint_id}%2F..",
            "..%2F" + endpoint_id,
        ):
            answer = hooks.get(f"/v1/organizations/webhooks/{spelled}")
            noted("webhook endpoint ID trick", answer)
            envelope(answer, 404, "not_found_error", "webhook endpoint not found")
        assert hooks.delete(f"/v1/organizations/webhooks/{endpoint_id}").status_code == 200
    for path in (
        "/v1/admin/enforcement_actions/enac_%2F..%2F..",
        "/v1/admin/enrollments/..%2Fenrollments",
        "/v1/admin/webhook_deliveries/whdel_%2e%2e",
    ):
        answer = httpx.get(f"{server.url}{path}", headers=org.headers(admin=True), timeout=10)
        noted(f"admin ID trick {path}", answer)
        envelope(answer, 404, "not_found_error")


# --- cursors across organizations ---------------------------------------------------------------------


def page(server: Server, org: Organization, **params: Any) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/user_profiles", params=params, headers=org.headers(), timeout=10)


def cursor_bytes(cursor: str) -> bytes:
    body = cursor.removeprefix("page_")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def spelled(raw: bytes) -> str:
    return "page_" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_cursors_replayed_across_organizations_reveal_nothing(server: Server, database: Database) -> None:
    alpha = new_organization(server, database, [f"alpha-{n}" for n in range(4)])
    beta = new_organization(server, database, [f"beta-{n}" for n in range(3)])
    alpha_ids = {p["id"] for p in alpha.profiles}
    beta_ids = {p["id"] for p in beta.profiles}
    cursors = {
        order_by: page(server, alpha, limit=1, order_by=order_by, order="asc").json()["next_page"]
        for order_by in ("created_at", "name")
    }
    assert all(cursors.values())
    for order_by, cursor in cursors.items():
        replayed = page(server, beta, limit=100, order_by=order_by, order="asc", page=cursor)
        noted(f"organization A's {order_by} cursor used by organization B", replayed)
        assert replayed.status_code == 200
        shown = {item["id"] for item in replayed.json()["data"]}
        assert shown <= beta_ids and not shown & alpha_ids
        assert not any(profile_id in replayed.text for profile_id in alpha_ids)
        assert "alpha-" not in replayed.text
        wrong_order = page(server, beta, order_by=order_by, order="desc", page=cursor)
        envelope(wrong_order, 400, "invalid_request_error", "page: cursor was issued for a different order or order_by")
        twice = [page(server, alpha, limit=1, order_by=order_by, order="asc", page=cursor).json() for _ in range(2)]
        assert twice[0] == twice[1] and {item["id"] for item in twice[0]["data"]} <= alpha_ids  # replay is harmless

    # Cursors are encrypted: no name, ID or field name shows. Forgeries spell what a client could
    # guess from the source (the fields' JSON) or splice real cursors together.
    for cursor in cursors.values():
        raw = cursor_bytes(cursor)
        assert b"alpha-" not in raw and b"uprof_" not in raw and b'"o"' not in raw
    guessed = json.dumps({"o": "asc", "b": "created_at", "k": 0, "i": sorted(alpha_ids)[0]}).encode()
    alpha_raw = cursor_bytes(cursors["created_at"])
    beta_raw = cursor_bytes(page(server, beta, limit=1, order="asc").json()["next_page"])
    flipped = bytearray(alpha_raw)
    flipped[-1] ^= 1
    forged = {
        "guessed fields in plaintext": spelled(guessed),
        "guessed fields under a real tag": spelled(alpha_raw[:16] + guessed),
        "zero tag": spelled(b"\0" * 16 + guessed),
        "two cursors spliced": spelled(alpha_raw[:16] + beta_raw[16:]),
        "a byte flipped": spelled(bytes(flipped)),
    }
    for name, cursor in forged.items():
        for who in (alpha, beta):
            answer = page(server, who, order="asc", page=cursor)
            noted(f"forged cursor ({name})", answer)
            envelope(answer, 400, "invalid_request_error", "page: not a valid cursor")

    # A cursor of the operator's search, or of another list, is refused by the public list.
    admin_cursor = httpx.get(
        f"{server.url}/v1/admin/user_profiles", params={"limit": 1}, headers=alpha.headers(admin=True)
    ).json()["next_page"]
    assert admin_cursor
    for order in ("asc", "desc"):
        answer = page(server, beta, order=order, page=admin_cursor)
        noted("admin search cursor on the public list", answer)
        envelope(answer, 400, "invalid_request_error", "page: cursor was issued for a different order or order_by")
    searched = httpx.get(
        f"{server.url}/v1/admin/user_profiles",
        params={"limit": 100, "page": admin_cursor},
        headers=beta.headers(admin=True),
    )
    noted("organization A's admin search cursor used by organization B's admin", searched)
    assert searched.status_code == 200
    assert {item["id"] for item in searched.json()["data"]} <= beta_ids and "alpha-" not in searched.text


def test_a_cursor_for_a_deleted_or_foreign_position_is_harmless(server: Server, database: Database) -> None:
    """A cursor whose last profile was deleted since still pages on, filtered or not."""
    own = new_organization(server, database, [f"own-{n}" for n in range(3)])
    first = page(server, own, limit=1, order="asc").json()
    deleted = httpx.delete(f"{server.url}/v1/user_profiles/{first['data'][0]['id']}", headers=own.headers())
    assert deleted.status_code == 200
    rest = page(server, own, limit=10, order="asc", page=first["next_page"])
    noted("cursor of a deleted profile", rest)
    assert rest.status_code == 200
    assert [item["id"] for item in rest.json()["data"]] == [p["id"] for p in own.profiles[1:]]
    filtered = page(server, own, limit=10, order="asc", page=first["next_page"], enforcement_status="banned")
    assert filtered.status_code == 200 and filtered.json() == {"data": [], "next_page": None}


# --- how responses leave: one write each, and nothing held back --------------------------------------


def _exchange(server: Server, request: bytes, *, then: bytes = b"") -> list[bytes]:
    """Send `request` on a raw socket (then `then` after the first answer); return what each read got."""
    address = urlsplit(server.url)
    reads: list[bytes] = []
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=10) as sock:
        sock.sendall(request)
        reads.append(sock.recv(65536))
        if then:
            sock.sendall(then)
            reads.append(sock.recv(65536))
    return reads


def test_a_head_request_and_an_expect_100_continue_are_answered_without_delay(
    server: Server, org: Organization
) -> None:
    host = urlsplit(server.url).netloc.encode()
    (head,) = _exchange(server, b"HEAD /healthz HTTP/1.1\r\nhost: " + host + b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")  # the head alone, not held back
    body = json.dumps({"name": "Continued"}).encode()
    headers = "".join(f"{name}: {value}\r\n" for name, value in org.headers(base=R1).items())
    request = (
        f"POST /v1/user_profiles HTTP/1.1\r\nhost: {host.decode()}\r\n{headers}content-type: application/json\r\n"
        f"content-length: {len(body)}\r\nexpect: 100-continue\r\n\r\n"
    ).encode()
    interim, final = _exchange(server, request, then=body)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    head, _, answer = final.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and json.loads(answer)["name"] == "Continued"
