"""The console's webhooks page (docs/reference/provider.md §6) and the deliveries on a profile page, over raw HTTP:
endpoints created, edited, enabled or disabled, given a new secret and deleted through the console are
what the API (`/v1/organizations/webhooks`) then shows; the secret the console showed once is the one
deliveries verify with (`client.beta.webhooks.unwrap` of anthropic 2.14.0); refused forms show the
API's message next to the form.

The receiver is a threaded `http.server` on 127.0.0.1, which the server may deliver to over plain
http (a loopback host).
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import WebhookVerificationError

from tests.e2e.conftest import Server
from tests.e2e.pages.support import Org, assert_page, create_profile, new_org
from tests.e2e.pages.test_console import NOT_DONE, post, sign_in
from tests.e2e.waiting import wait_until
from uprof.console.service import DELIVERIES_IN_PROFILE_SHEET
from uprof.db.unit_of_work import Database
from uprof.webhooks.models import webhook_endpoint

HOOKS = {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"}
UPDATED = "user_profile.program_status_updated"
OPENED = "user_profile.enforcement_action_opened"
RESOLVED = "user_profile.enforcement_action_resolved"
PROFILE_EVENTS = [UPDATED, OPENED, RESOLVED]
LIST = "/console/webhooks"
SECRET_SHOWN = re.compile(r'id="signing-secret" class="wide" readonly value="(whsec_[^"]+)"')
UNREACHABLE = "http://127.0.0.1:9/hook"  # the discard port: nothing listens, every attempt fails


@pytest.fixture
def console(server: Server, org: Org) -> Iterator[httpx.Client]:
    with closing(sign_in(server, org.admin_key)) as client:
        yield client


# --- a receiver ---------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


class Receiver:
    """Records every POST on 127.0.0.1 and answers 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- the http.server hook's name
                body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver.changed:
                    receiver.received.append(Received(self.path, headers, body))
                    receiver.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"

    def wait(self, path: str, count: int, timeout: float = 10) -> list[Received]:
        """Block until `path` has received at least `count` requests; return them."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(found := [item for item in self.received if item.path == path]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{path}: {len(found)} of {count} deliveries after {timeout} s"
                self.changed.wait(left)
        return found

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture(scope="module")
def unwrapper() -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key="unused", base_url="http://127.0.0.1:9") as client:
        yield client


def verifies(unwrapper: anthropic.Anthropic, item: Received, secret: str) -> bool:
    try:
        unwrapper.beta.webhooks.unwrap(item.body, headers=item.headers, key=secret)
    except WebhookVerificationError:
        return False
    return True


# --- helpers ------------------------------------------------------------------------------------


def endpoint_fields(url: str, events: list[str] | None = None, **more: str) -> dict[str, Any]:
    return {"url": url, "enabled_events": PROFILE_EVENTS if events is None else events, **more}


def create_in_console(console: httpx.Client, url: str, **more: Any) -> tuple[str, str, httpx.Response]:
    """Add an endpoint with the console form: its ID, the secret the page showed, and the page."""
    page = post(console, LIST + "/endpoints", endpoint_fields(url, **more), page=LIST)
    assert_page(page, 200, "Endpoint created. Its signing secret — copy it now, it is not shown again")
    shown = SECRET_SHOWN.search(page.text)
    assert shown is not None
    found = re.search(r'action="/console/webhooks/endpoints/(whep_\w+)"', page.text)
    assert found is not None
    return found.group(1), shown.group(1), page


def api_endpoints(admin: httpx.Client) -> list[dict[str, Any]]:
    response = admin.get("/v1/organizations/webhooks", params={"limit": 100}, headers=HOOKS)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def api_endpoint(admin: httpx.Client, endpoint_id: str) -> dict[str, Any]:
    response = admin.get(f"/v1/organizations/webhooks/{endpoint_id}", headers=HOOKS)
    assert response.status_code == 200, response.text
    return dict(response.json())


def create_in_api(admin: httpx.Client, url: str = UNREACHABLE, **more: Any) -> dict[str, Any]:
    """A new endpoint as the API lists it (without the secret)."""
    response = admin.post("/v1/organizations/webhooks", headers=HOOKS, json=endpoint_fields(url, **more))
    assert response.status_code == 200, response.text
    return {key: value for key, value in response.json().items() if key != "signing_secret"}


def set_cyber(admin: httpx.Client, profile_id: str, status: str = "active") -> None:
    response = admin.post(f"/v1/admin/user_profiles/{profile_id}/programs/cyber", json={"status": status})
    assert response.status_code == 200, response.text


def ban(admin: httpx.Client, profile_id: str) -> None:
    body = {"type": "ban", "reason": "fraud_or_abuse"}
    response = admin.post(f"/v1/admin/user_profiles/{profile_id}/enforcement_actions", json=body)
    assert response.status_code == 200, response.text


def deliveries(admin: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    response = admin.get("/v1/admin/webhook_deliveries", params={"limit": 100, **filters})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def listed_deliveries(page: httpx.Response) -> list[str]:
    """The delivery IDs a profile page lists, in order."""
    return re.findall(r'<tr id="(whdel_\w+)">', page.text)


def row_text(page: httpx.Response, delivery_id: str) -> str:
    """The text of a delivery's row on a profile page."""
    found = re.search(rf'<tr id="{delivery_id}">(.*?)</tr>', page.text, re.S)
    assert found is not None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def logged_deliveries(page: httpx.Response) -> list[str]:
    """The delivery IDs the delivery log shows, in order."""
    return re.findall(r'<article class="card" id="(whdel_\w+)"', page.text)


# --- endpoints ----------------------------------------------------------------------------------


def test_an_endpoint_made_in_the_console_is_the_apis_and_its_secret_is_shown_once(
    server: Server,
    api: httpx.Client,
    admin: httpx.Client,
    console: httpx.Client,
    database: Database,
    receiver: Receiver,
    unwrapper: anthropic.Anthropic,
) -> None:
    empty = console.get(LIST)
    assert_page(empty, 200, "Webhooks", "Endpoints · 0 of at most 32", "No endpoints yet", "Add an endpoint")
    for event in PROFILE_EVENTS:  # the events uprof sends start ticked; the others do not
        assert f'value="{event}" checked' in empty.text
    assert 'value="external_key.failed">' in empty.text

    endpoint_id, secret, page = create_in_console(
        console, receiver.url("/hook"), name="Platform", description="Production receiver"
    )
    assert_page(page, 200, "Platform", endpoint_id, "Deliveries to this endpoint")
    assert f'name="return_to" value="/console/webhooks/endpoints/{endpoint_id}"' in page.text
    [listed] = api_endpoints(admin)
    assert {key: listed[key] for key in ("id", "url", "name", "description", "enabled_events", "state")} == {
        "id": endpoint_id,
        "url": receiver.url("/hook"),
        "name": "Platform",
        "description": "Production receiver",
        "enabled_events": PROFILE_EVENTS,
        "state": "enabled",
    }
    # Never again: not on the endpoint's page, not in the list, not stored in the clear, not logged.
    for again in (console.get(f"{LIST}/endpoints/{endpoint_id}"), console.get(LIST)):
        assert_page(again, 200, "Platform")
        assert secret not in again.text and "whsec_" not in again.text
    stored = database.run(
        lambda c: c.scalar(select(webhook_endpoint.c.signing_secret).where(webhook_endpoint.c.id == endpoint_id)),
        write=False,
    )
    assert stored is not None and secret not in stored and not stored.startswith("whsec_")
    assert secret not in server.output()

    profile = create_profile(api)
    set_cyber(admin, profile["id"])
    [delivered] = receiver.wait("/hook", 1)
    assert verifies(unwrapper, delivered, secret)
    unwrapped = unwrapper.beta.webhooks.unwrap(delivered.body, headers=delivered.headers, key=secret)
    assert (unwrapped.data.type, unwrapped.data.id) == (UPDATED, profile["id"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (endpoint_fields("ftp://example.com/hook"), "url: must be an absolute https URL"),
        (endpoint_fields("http://example.com/hook"), "url: must be an absolute https URL"),
        (endpoint_fields("https://169.254.169.254/latest/"), "url: the host is a link-local address, which webhook"),
        (endpoint_fields("https://example.com/hook", []), "enabled_events: must list at least one event type"),
        (endpoint_fields("https://example.com/hook", ["user_profile.deleted"]), "enabled_events[0]: must be one of"),
        (endpoint_fields("https://example.com/hook", name="n" * 256), "name: must be a string of at most 255"),
        (endpoint_fields("https://example.com/hook", description="d" * 1001), "description: must be a string of at"),
    ],
)
def test_a_refused_new_endpoint_shows_the_apis_message_by_the_form(
    admin: httpx.Client, console: httpx.Client, fields: dict[str, Any], message: str
) -> None:
    page = post(console, LIST + "/endpoints", {**fields, "name": fields.get("name", "Kept")}, page=LIST)
    assert_page(page, 400, NOT_DONE, message)
    assert 'id="new-endpoint-error"' in page.text
    assert f'value="{fields["url"]}"' in page.text  # the form comes back as the operator left it
    assert "whsec_" not in page.text
    assert api_endpoints(admin) == []


def test_the_console_keeps_to_the_limit_of_32_endpoints(admin: httpx.Client, console: httpx.Client) -> None:
    for _ in range(32):
        create_in_api(admin)
    assert_page(console.get(LIST), 200, "Endpoints · 32 of at most 32")
    page = post(console, LIST + "/endpoints", endpoint_fields("https://example.com/33"), page=LIST)
    assert_page(page, 400, NOT_DONE, "body: the organization already has 32 webhook endpoints, the maximum")
    assert len(api_endpoints(admin)) == 32


def test_editing_an_endpoint(admin: httpx.Client, console: httpx.Client) -> None:
    endpoint = create_in_api(admin, "https://example.com/old", name="Old name")
    path = f"{LIST}/endpoints/{endpoint['id']}"
    page = console.get(path)
    assert_page(page, 200, "Old name", "Settings", "Save changes")
    assert 'value="https://example.com/old"' in page.text
    assert page.text.count('name="enabled_events" value="user_profile.') == 3
    assert page.text.count(" checked>") == 3

    changed = endpoint_fields(
        "  https://example.com/new\n", [OPENED, "external_key.failed"], name="New", description=""
    )
    saved = post(console, path, changed, page=path)
    assert saved.status_code == 303 and saved.headers["location"] == f"{path}?notice=endpoint_saved"
    assert_page(console.get(saved.headers["location"]), 200, "Webhook endpoint saved.", "New")
    after = api_endpoint(admin, endpoint["id"])
    assert (after["url"], after["name"], after["enabled_events"]) == (
        "https://example.com/new",
        "New",
        [OPENED, "external_key.failed"],
    )
    assert after["updated_at"] > endpoint["updated_at"]

    # No event ticked is a mistake here (to the API `[]` means "unchanged"): the schema names it.
    for fields, message in [
        (endpoint_fields("https://example.com/kept", []), "enabled_events: must list at least one event type"),
        (endpoint_fields("https://user@example.com/x"), "url: must be an absolute https URL"),
    ]:
        refused = post(console, path, fields, page=path)
        assert_page(refused, 400, NOT_DONE, message)
        assert 'id="edit-error"' in refused.text and f'value="{fields["url"]}"' in refused.text
    assert api_endpoint(admin, endpoint["id"]) == after


def test_enabling_and_disabling_an_endpoint(admin: httpx.Client, console: httpx.Client, api: httpx.Client) -> None:
    endpoint = create_in_api(admin)
    path = f"{LIST}/endpoints/{endpoint['id']}"
    set_cyber(admin, create_profile(api)["id"])  # a delivery that keeps failing, so stays pending
    assert [d["status"] for d in deliveries(admin, endpoint_id=endpoint["id"])] == ["pending"]

    disabled = post(console, f"{path}/disable", page=LIST + "?status=failed")
    assert disabled.headers["location"] == LIST + "?status=failed&notice=endpoint_disabled"
    assert api_endpoint(admin, endpoint["id"])["state"] == "disabled"
    assert [d["status"] for d in deliveries(admin, endpoint_id=endpoint["id"])] == ["cancelled"]
    listing = console.get(disabled.headers["location"])
    assert_page(listing, 200, "Webhook endpoint disabled: its pending deliveries are cancelled.", "disabled")
    assert f'action="{path}/enable"' in listing.text

    enabled = post(console, f"{path}/enable", page=path)
    assert enabled.headers["location"] == f"{path}?notice=endpoint_enabled"
    assert api_endpoint(admin, endpoint["id"])["state"] == "enabled"
    assert_page(console.get(enabled.headers["location"]), 200, "Webhook endpoint enabled", "Disable endpoint")


def test_regenerating_the_secret_shows_the_new_one_once(
    api: httpx.Client,
    admin: httpx.Client,
    console: httpx.Client,
    receiver: Receiver,
    unwrapper: anthropic.Anthropic,
) -> None:
    endpoint_id, first, _ = create_in_console(console, receiver.url("/rotated"))
    path = f"{LIST}/endpoints/{endpoint_id}"
    page = post(console, f"{path}/regenerate_signing_secret", page=path)
    assert_page(page, 200, "New signing secret — copy it now, it is not shown again", "For the next 24 hours")
    shown = SECRET_SHOWN.search(page.text)
    assert shown is not None
    second = shown.group(1)
    assert second != first
    assert "whsec_" not in console.get(path).text

    set_cyber(admin, create_profile(api)["id"])
    [delivered] = receiver.wait("/rotated", 1)
    # Both sign during the overlap window, so a receiver still holding the first keeps verifying.
    assert verifies(unwrapper, delivered, second) and verifies(unwrapper, delivered, first)
    assert len(delivered.headers["webhook-signature"].split(" ")) == 2


def test_deleting_an_endpoint_takes_a_confirmation(admin: httpx.Client, console: httpx.Client) -> None:
    endpoint = create_in_api(admin, name="Doomed")
    path = f"{LIST}/endpoints/{endpoint['id']}"
    assert f'<form method="get" action="{path}/delete"' in console.get(path).text
    confirm = console.get(f"{path}/delete")
    assert_page(confirm, 200, "Delete this webhook endpoint?", "Doomed", endpoint["url"], "This cannot be undone")
    assert [row["id"] for row in api_endpoints(admin)] == [endpoint["id"]]  # asking deletes nothing
    deleted = post(console, f"{path}/delete", page=f"{path}/delete")
    assert deleted.headers["location"] == LIST + "?notice=endpoint_deleted"
    assert_page(console.get(deleted.headers["location"]), 200, "Webhook endpoint deleted", "No endpoints yet")
    assert api_endpoints(admin) == []
    assert_page(console.get(path), 404, "Webhook endpoint not found")


def test_unknown_and_foreign_endpoints_are_not_found(
    server: Server, console: httpx.Client, admin: httpx.Client, database: Database
) -> None:
    other = new_org(database)
    with other.api(server, admin=True) as their_admin:
        theirs = create_in_api(their_admin, name="Theirs")
    for endpoint_id in ("whep_000000000000000000000000", theirs["id"]):
        path = f"{LIST}/endpoints/{endpoint_id}"
        assert_page(console.get(path), 404, "Webhook endpoint not found")
        assert_page(console.get(f"{path}/delete"), 404, "Webhook endpoint not found")
        for action, fields in [
            ("", endpoint_fields("https://example.com/x")),
            ("/enable", {}),
            ("/disable", {}),
            ("/regenerate_signing_secret", {}),
            ("/delete", {}),
        ]:
            refused = post(console, path + action, fields, page=LIST)
            assert_page(refused, 404, "Webhook endpoint not found")
            assert "whsec_" not in refused.text
    with other.api(server, admin=True) as their_admin:
        assert api_endpoints(their_admin) == [theirs]


ENDPOINT_FORMS = [
    LIST + "/endpoints",
    LIST + "/endpoints/{endpoint}",
    LIST + "/endpoints/{endpoint}/enable",
    LIST + "/endpoints/{endpoint}/disable",
    LIST + "/endpoints/{endpoint}/regenerate_signing_secret",
    LIST + "/endpoints/{endpoint}/delete",
]


@pytest.mark.parametrize("csrf", ["missing", "wrong"])
def test_every_endpoint_form_needs_the_session_csrf_token(
    admin: httpx.Client, console: httpx.Client, csrf: str
) -> None:
    endpoint = create_in_api(admin, name="Untouched")
    fields: dict[str, Any] = endpoint_fields("https://example.com/forged", name="Forged")
    if csrf == "wrong":
        fields["csrf_token"] = "0" * 64
    for form in ENDPOINT_FORMS:
        refused = console.post(form.format(endpoint=endpoint["id"]), data=fields)
        assert_page(refused, 403, "This form has expired")
        assert "whsec_" not in refused.text
    assert api_endpoints(admin) == [endpoint]


@pytest.mark.parametrize(
    "path",
    [
        LIST + "?user_profile_id=%00",
        LIST + "?user_profile_id=a&user_profile_id=b",
        LIST + "?user_profile_id=x&page=page_x",
        LIST + "?endpoint_id=" + "e" * 3000,
        LIST + "/endpoints/%00",
        LIST + "/endpoints/" + "w" * 3000,
        LIST + "/endpoints/%ff%fe/delete",
    ],
)
def test_odd_webhook_requests_never_fail_the_server(console: httpx.Client, path: str) -> None:
    response = console.get(path)
    assert 200 <= response.status_code < 500, response.text
    assert_page(response, response.status_code)


# --- deliveries on the profile page ---------------------------------------------------------------


def test_the_profile_page_lists_the_deliveries_about_the_profile(
    api: httpx.Client, admin: httpx.Client, console: httpx.Client, receiver: Receiver
) -> None:
    working = create_in_api(admin, receiver.url("/works"), name="Works")
    failing = create_in_api(admin, UNREACHABLE, name="Fails", events=[UPDATED])
    mine, other = create_profile(api, "Mine"), create_profile(api, "Other")
    set_cyber(admin, mine["id"])
    ban(admin, mine["id"])
    set_cyber(admin, other["id"])
    receiver.wait("/works", 3)
    wait_until(
        lambda: all(d["status"] == "succeeded" for d in deliveries(admin, endpoint_id=working["id"])),
        "the working endpoint's deliveries to succeed",
    )
    disabled = admin.post(f"/v1/organizations/webhooks/{failing['id']}", headers=HOOKS, json={"state": "disabled"})
    assert disabled.status_code == 200  # cancels what was still pending for it
    everything = {d["id"]: d for d in deliveries(admin)}
    assert len(everything) == 5

    path = f"/console/profiles/{mine['id']}"
    page = console.get(path)
    assert_page(page, 200, "Webhook deliveries", "Events about this profile, newest first")
    shown = listed_deliveries(page)
    assert len(shown) == 3  # two events to the working endpoint, one to the failing one; none about "Other"
    assert shown == sorted(shown, key=lambda d: (everything[d]["created_at"], d), reverse=True)
    for delivery_id in shown:
        row = row_text(page, delivery_id)
        delivery = everything[delivery_id]
        assert delivery["event_type"] in row
        if delivery["endpoint_id"] == working["id"]:
            assert receiver.url("/works") in row and "succeeded" in row and "HTTP 200" in row
            assert "Retry" not in row
        else:
            assert UNREACHABLE in row and "cancelled" in row and "Retry" in row
    assert {everything[d]["event_type"] for d in shown} == {UPDATED, OPENED}
    assert f'href="/console/webhooks?user_profile_id={mine["id"]}"' in page.text
    other_page = console.get(f"/console/profiles/{other['id']}")
    assert len(listed_deliveries(other_page)) == 2 and not set(listed_deliveries(other_page)) & set(shown)

    # The delivery log, filtered to the profile, has the same deliveries with their attempts.
    log = console.get(f"{LIST}?user_profile_id={mine['id']}")
    assert_page(log, 200, "Deliveries", receiver.url("/works"))
    assert logged_deliveries(log) == shown
    assert f'id="f-profile" name="user_profile_id" value="{mine["id"]}"' in log.text
    narrowed = console.get(f"{LIST}?user_profile_id={mine['id']}&status=cancelled")
    assert [everything[d]["endpoint_id"] for d in logged_deliveries(narrowed)] == [failing["id"]]
    # Profile IDs are case-sensitive, on SQLite too.
    assert logged_deliveries(console.get(f"{LIST}?user_profile_id={mine['id'].swapcase()}")) == []

    # Retry from the profile page: refused while the endpoint is disabled, next to the delivery.
    [cancelled] = [d for d in shown if everything[d]["endpoint_id"] == failing["id"]]
    retry = f"{LIST}/deliveries/{cancelled}/retry"
    refused = post(console, retry, page=path)
    assert_page(refused, 409, "Mine", NOT_DONE, "webhook delivery cannot be retried while its endpoint is disabled")
    assert f'id="{cancelled}-error"' in refused.text
    assert post(console, f"{LIST}/endpoints/{failing['id']}/enable", page=path).status_code == 303
    retried = post(console, retry, page=path)
    assert retried.headers["location"] == f"{path}?notice=delivery_retried"
    assert_page(console.get(retried.headers["location"]), 200, "Delivery queued for another attempt.")
    after = admin.get(f"/v1/admin/webhook_deliveries/{cancelled}").json()
    assert after["status"] in ("pending", "failed")  # back in the queue (it may already have failed again)


def test_the_profile_page_lists_only_the_newest_deliveries(
    api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    endpoint = create_in_api(admin, events=[UPDATED])
    profile = create_profile(api)
    for status in ["active", "pending"] * ((DELIVERIES_IN_PROFILE_SHEET + 2) // 2):
        set_cyber(admin, profile["id"], status)
    everything = deliveries(admin, endpoint_id=endpoint["id"])
    assert len(everything) == DELIVERIES_IN_PROFILE_SHEET + 2
    page = console.get(f"/console/profiles/{profile['id']}")
    assert_page(page, 200, f"(the latest {DELIVERIES_IN_PROFILE_SHEET})", "All of them in the delivery log")
    assert listed_deliveries(page) == [d["id"] for d in everything[:DELIVERIES_IN_PROFILE_SHEET]]
    log = console.get(f"{LIST}?user_profile_id={profile['id']}")
    first = logged_deliveries(log)
    assert first == [d["id"] for d in everything[:20]]
    cursor = re.search(r'href="\?([^"]*page=[^"]+)"', log.text)
    assert cursor is not None
    rest = logged_deliveries(console.get(f"{LIST}?{cursor.group(1).replace('&amp;', '&')}"))
    assert rest == [d["id"] for d in everything[20:]]


def test_a_profile_without_deliveries_says_so(api: httpx.Client, admin: httpx.Client, console: httpx.Client) -> None:
    profile = create_profile(api)
    set_cyber(admin, profile["id"])  # an event, but no endpoint to deliver it to
    page = console.get(f"/console/profiles/{profile['id']}")
    assert_page(page, 200, "Webhook deliveries", "No deliveries: no event about this profile was sent to an endpoint")
    assert listed_deliveries(page) == []


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (LIST + "/endpoints", {"url": "https://example.com/\x00", "enabled_events": UPDATED}),
        (LIST + "/endpoints", {"url": "https://example.com/x", "enabled_events": [UPDATED, UPDATED]}),
        (LIST + "/endpoints/%00", endpoint_fields("https://example.com/x")),
        (LIST + "/endpoints/%00/disable", {}),
        (LIST + "/endpoints/%ff/regenerate_signing_secret", {}),
        (LIST + "/endpoints/" + "w" * 3000 + "/delete", {}),
    ],
)
def test_odd_endpoint_forms_never_fail_the_server(console: httpx.Client, path: str, fields: dict[str, Any]) -> None:
    response = post(console, path, fields, page=LIST)
    assert response.status_code < 500, response.text
    assert_page(response, response.status_code)
