"""The console's pages for data controls and External Keys: a real browser decides a pending region,
suspends a control and makes a key fail; the forms refuse bad input with the API's message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import Server
from tests.e2e.data_controls.conftest import Organization
from tests.e2e.pages.support import csrf_of
from tests.e2e.pages.test_browser_flow import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.pages.test_console import sign_in


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: Server, org: Organization) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
    opened = context.new_page()
    opened.goto("/console/login")
    assert org.admin.api_key is not None
    opened.fill("input[name=api_key]", org.admin.api_key)
    opened.click("button[type=submit]")
    opened.wait_for_url("**/console")
    yield opened
    context.close()


def test_the_operator_decides_a_region_and_suspends_a_control_in_the_browser(page: Page, org: Organization) -> None:
    profile_id = org.profile()
    key = org.gcp_key(profile_id)
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": key}})
    page.goto(f"/console/profiles/{profile_id}")
    page.click("text=Data controls")
    row = page.locator("#cmek-us")
    expect(row).to_contain_text("pending")
    row.get_by_role("button", name="Passes").click()
    expect(page.locator(".notice, [role=status]").first).to_contain_text("Region decided")
    expect(page.locator("#cmek-us")).to_contain_text("active")
    assert data_controls.retrieve(profile_id).cmek.status["us"].type == "active"  # type: ignore[union-attr]
    page.get_by_role("button", name="Suspend the control").first.click()
    expect(page.locator("#cmek-us")).to_contain_text("suspended")
    assert data_controls.retrieve(profile_id).cmek.status["us"].type == "suspended"  # type: ignore[union-attr]


def test_the_operator_makes_a_key_fail_and_work_again_in_the_browser(page: Page, org: Organization) -> None:
    key = org.gcp_key(None)
    page.goto("/console")
    page.click("nav >> text=External keys")
    card = page.locator(f"#{key}")
    card.get_by_label("Error").fill("key disabled in KMS")
    card.get_by_role("button", name="Make it fail").click()
    expect(page.locator(f"#{key}")).to_contain_text("key disabled in KMS")
    validation = org.admin.beta.organization.external_keys.validate(key)
    assert (validation.status, validation.error) == ("failure", "key disabled in KMS")
    page.locator(f"#{key}").get_by_role("button", name="Make it work again").click()
    expect(page.locator(f"#{key}")).not_to_contain_text("key disabled in KMS")
    assert org.admin.beta.organization.external_keys.validate(key).status == "success"


def test_console_forms_refuse_what_the_api_refuses(server: Server, org: Organization) -> None:
    profile_id = org.profile()
    assert org.admin.api_key is not None
    with closing(sign_in(server, org.admin.api_key)) as console:
        page = f"/console/profiles/{profile_id}/data_controls"
        shown = console.get(page)
        assert shown.status_code == 200 and "Google-managed data controls" in shown.text
        csrf = csrf_of(shown)
        refused = console.post(f"{page}/cmek/us", data={"csrf_token": csrf, "return_to": page, "status": "active"})
        assert refused.status_code == 409 and "only a pending region can be decided" in refused.text
        odd = console.post(f"{page}/mars/us", data={"csrf_token": csrf, "return_to": page, "status": "active"})
        assert odd.status_code == 400 and "control: must be one of cmek, storage" in odd.text
        unknown = console.get("/console/profiles/uprof_000000000000000000000000/data_controls")
        assert unknown.status_code == 404
        forged = console.post(f"{page}/cmek/suspension", data={"csrf_token": "x", "suspended": "true"})
        assert forged.status_code == 403
        keys = console.get("/console/external_keys")
        assert keys.status_code == 200 and "No External Keys yet" in keys.text
    assert org.client.beta.user_profiles.providers.google.data_controls.retrieve(profile_id).cmek.type == "disabled"
    assert isinstance(console, httpx.Client)
