"""The whole story in a real browser (Debian's Chromium driven by Playwright, no downloaded browser).

A platform creates a profile and an enrollment link with the official SDK; the end user opens the
link, first sends the form empty, then applies; the operator signs into the console with an admin
key and approves; the SDK then sees the cyber program active under a beta revision and under GA.
Each page is saved to artifacts/screenshots/<backend>-<step>.png so a person can look at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from tests.e2e.conftest import Server
from tests.e2e.pages.support import Org

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []

    def check_response(response: Response) -> None:
        # Pages themselves answer 400 to an invalid form; what they load must never fail.
        if response.request.resource_type != "document" and response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    def check_message(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused" in message.text:
            problems.append(message.text)

    opened.on("response", check_response)
    opened.on("console", check_message)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    # No page breaks its own content security policy or loads anything that fails.
    assert problems == []


def backend(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["database_url"])


def test_apply_in_the_browser_and_approve_in_the_console(
    server: Server, org: Org, page: Page, request: pytest.FixtureRequest
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def snapshot(step: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{backend(request)}-{step}.png"), full_page=True)

    with anthropic.Anthropic(api_key=org.key, base_url=server.url, max_retries=0) as client:
        profile = client.beta.user_profiles.create(name="Ada Example", external_id="cust_889")
        link = client.beta.user_profiles.create_enrollment_url(profile.id)

        # The end user opens the link and applies.
        page.goto(link.url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Apply for the Cyber Verification Program")
        snapshot("1-enrollment-form")
        page.get_by_role("button", name="Submit application").click()
        expect(page.get_by_role("alert")).to_contain_text("Choose at least one tier.")
        expect(page.locator("#cyber-use_case-error")).to_have_text("Error: Describe how you will use the program.")
        snapshot("2-enrollment-errors")
        page.get_by_label("Specialized Access").check()
        page.get_by_label("Defense Access").check()
        page.get_by_label("How will you use the program?").fill("Red-team exercises for our banking clients")
        page.get_by_label("Organization").fill("Example Security Ltd")
        page.get_by_label("Contact email").fill("ada@example.com")
        page.get_by_label("I confirm that the information I have given is accurate.").check()
        page.get_by_role("button", name="Submit application").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — your application was received.")
        snapshot("3-enrollment-received")
        assert client.beta.user_profiles.retrieve(profile.id).trust_grants["cyber"].status == "pending"

        # The operator signs in and approves from the queue.
        page.goto(f"{server.url}/console")
        expect(page).to_have_url(f"{server.url}/console/login")
        snapshot("4-console-sign-in")
        page.get_by_label("Admin API key").fill(org.admin_key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#count-pending-enrollments")).to_have_text("1")
        snapshot("5-console-dashboard")
        page.get_by_role("link", name="Enrollments").first.click()
        card = page.locator("article.card", has_text="Ada Example")
        expect(card).to_contain_text("Red-team exercises for our banking clients")
        expect(card.get_by_label("Specialized Access (requested)")).to_be_checked()
        expect(card.get_by_label("Red Team Access")).not_to_be_checked()
        snapshot("6-console-queue")
        card.get_by_label("Human review required").uncheck()
        card.get_by_label("Note (optional, kept with the decision)").fill("Verified employer")
        card.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status")).to_have_text("Enrollment approved.")
        snapshot("7-console-approved")
        page.goto(f"{server.url}/console/profiles/{profile.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada Example")
        snapshot("8-console-profile")

        # The platform sees the outcome under a beta revision and under GA.
        beta = client.beta.user_profiles.retrieve(profile.id)
        assert beta.trust_grants["cyber"].status == "active"
        ga = client.user_profiles.retrieve(profile.id)
        assert ga.programs.cyber is not None
        assert ga.programs.cyber.status == "active"
        assert {name: tier.status for name, tier in ga.programs.cyber.tiers.items()} == {
            "a": "active",
            "b": "inactive",
            "c": "active",
        }
        assert ga.programs.cyber.requirements is not None
        assert ga.programs.cyber.requirements.human_review is False

        # And the end user, through a portal link, sees the enrollment.
        portal = client.beta.user_profiles.action_urls.create(profile.id, action={"type": "enroll_end_user"})
        page.goto(portal.url)
        expect(page.locator("#cyber-heading + p")).to_have_text("Active")
        expect(page.get_by_text("There are no restrictions on your account.")).to_be_visible()
        snapshot("9-portal")
