"""Every console page and every end-user page on a 390 px wide phone screen, in a real browser
(Debian's Chromium): nothing is wider than the screen, so no page scrolls sideways.

One organization is given something of every kind first (pending enrollments, an identity check, an
open action, a webhook endpoint with deliveries), so the lists and the profile page show real rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.e2e.conftest import Server
from tests.e2e.pages.support import Org, create_profile, link_path
from tests.e2e.pages.test_browser_flow import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.pages.test_console import apply_for_efs, apply_through_link, open_restriction, submit_identity
from tests.e2e.webhooks.support import PROFILE_EVENTS

PHONE: ViewportSize = {"width": 390, "height": 844}
WEBHOOKS_BETA = {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"}
# Nothing listens on the discard port: every delivery fails, so the log shows errors, with a long URL.
ENDPOINT_URL = "http://127.0.0.1:9/hooks/uprof/receiver-with-a-rather-long-path-that-a-phone-must-wrap"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    yield context.new_page()
    context.close()


def populated(server: Server, api: httpx.Client, admin: httpx.Client) -> dict[str, Any]:
    """A profile with a long name and something of every kind; the paths the phone visits."""
    profile = create_profile(api, "Augusta Ada King, Countess of Lovelace, née Byron")
    endpoint = admin.post(
        "/v1/organizations/webhooks",
        headers=WEBHOOKS_BETA,
        json={"url": ENDPOINT_URL, "enabled_events": PROFILE_EVENTS},
    )
    assert endpoint.status_code == 200, endpoint.text
    apply_through_link(server, api, profile["id"])
    apply_for_efs(server, api, profile["id"])
    open_restriction(admin, profile["id"])
    submit_identity(server, api, profile["id"])
    endpoint_id = endpoint.json()["id"]
    return {
        "console": [
            "/console",
            "/console/enrollments",
            "/console/identity_checks",
            "/console/profiles",
            f"/console/profiles?q={profile['id']}",
            f"/console/profiles/{profile['id']}",
            "/console/webhooks",
            f"/console/webhooks/endpoints/{endpoint_id}",
            f"/console/webhooks/endpoints/{endpoint_id}/delete",
            "/console/logout",
            "/console/no-such-page",
        ],
        "end_user": [
            "/",
            link_path(api, profile["id"], "enrollment"),
            link_path(api, profile["id"], "portal"),
            "/enroll/not-a-link",
        ],
    }


def width_of(page: Page, path: str, server: Server) -> int:
    """The width of the page at `path` as laid out on the phone (after checking it was not redirected)."""
    page.goto(server.url + path)
    assert page.url == server.url + path, (path, page.url)
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def test_every_page_fits_a_390_px_screen(
    server: Server, org: Org, api: httpx.Client, admin: httpx.Client, phone: Page
) -> None:
    paths = populated(server, api, admin)
    wide = {path: width_of(phone, path, server) for path in [*paths["end_user"], "/console/login"]}
    phone.fill("#api_key", org.admin_key)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(f"{server.url}/console")
    wide |= {path: width_of(phone, path, server) for path in paths["console"]}
    assert {path: width for path, width in wide.items() if width > PHONE["width"]} == {}
