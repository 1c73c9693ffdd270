"""The whole story in a real browser (Debian's Chromium driven by Playwright, no downloaded browser).

A platform registers a webhook endpoint, creates a profile and an enrollment link with the official
SDK; the end user opens the link, first sends the form empty, then applies; the operator signs into
the console with an admin key and approves; the SDK then sees the cyber program active under a beta
revision and under GA, and the platform's receiver has been told twice, by deliveries that
`client.beta.webhooks.unwrap` verifies with the endpoint's signing secret. Finally the operator opens
a verifiable restriction and the end user's portal offers the identity check.
Each page is saved to artifacts/screenshots/<backend>-<step>.png so a person can look at it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import anthropic
import pytest
from anthropic.types.beta import BetaWebhookEvent
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from tests.e2e.conftest import Server
from tests.e2e.pages.support import Org
from tests.e2e.webhooks.support import OPENED, UPDATED, Operator, Received, Receiver, settled

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
HOOK = "/hooks/uprof"

Snapshot = Callable[[str], None]


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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The platform's webhook receiver: records every POST on 127.0.0.1 and answers 200."""
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def operator(server: Server, org: Org) -> Iterator[Operator]:
    """The organization's admin key, through the SDK (endpoints) and raw HTTP (the delivery log)."""
    running = Operator(server, org.admin_key, org.organization_id)
    yield running
    running.close()


def backend(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["database_url"])


def test_apply_in_the_browser_approve_in_the_console_and_hear_of_it_by_webhook(
    server: Server, org: Org, page: Page, receiver: Receiver, operator: Operator, request: pytest.FixtureRequest
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def snapshot(step: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{backend(request)}-{step}.png"), full_page=True)

    with anthropic.Anthropic(api_key=org.key, base_url=server.url, max_retries=0) as client:
        # The platform registers its receiver once (an admin key) and keeps the secret shown only now.
        endpoint = operator.sdk.beta.organization.webhooks.create(
            url=receiver.url(HOOK),
            enabled_events=[
                "user_profile.program_status_updated",
                "user_profile.enforcement_action_opened",
                "user_profile.enforcement_action_resolved",
            ],
            name="Platform",
        )
        secret = endpoint.signing_secret
        profile = client.beta.user_profiles.create(name="Ada Example", external_id="cust_889")
        link = client.beta.user_profiles.create_enrollment_url(profile.id)

        apply_in_the_browser(page, link.url, snapshot)
        assert client.beta.user_profiles.retrieve(profile.id).trust_grants["cyber"].status == "pending"
        receiver.wait(HOOK, 1)  # the application is announced before anyone decides it

        approve_in_the_console(page, server, org, snapshot)
        events = unwrapped(client, receiver.wait(HOOK, 2), secret)
        assert [(event.data.type, event.data.id) for event in events] == [(UPDATED, profile.id)] * 2
        delivered = settled(operator, endpoint.id, 2, "succeeded")
        assert [(d["event_type"], d["attempt_count"]) for d in delivered] == [(UPDATED, 1)] * 2
        show_the_deliveries(page, server, profile.id, snapshot)

        # The platform, told that something changed, reads the outcome under a beta revision and GA.
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

        # And the end user, through a portal link, sees the enrollment; after the operator opens a
        # restriction they can clear, the same link offers the identity check.
        portal = client.beta.user_profiles.action_urls.create(profile.id, action={"type": "enroll_end_user"})
        page.goto(portal.url)
        expect(page.locator("#cyber-heading + p")).to_have_text("Active")
        expect(page.get_by_text("There are no restrictions on your account.")).to_be_visible()
        snapshot("10-portal")
        open_a_verifiable_restriction(page, server, profile.id)
        page.goto(portal.url)
        expect(page.get_by_role("heading", name="Confirm your identity")).to_be_visible()
        snapshot("11-portal-identity-check")
        opened = unwrapped(client, receiver.wait(HOOK, 3), secret)[2]
        assert (opened.data.type, opened.data.id) == (OPENED, profile.id)


def apply_in_the_browser(page: Page, url: str, snapshot: Snapshot) -> None:
    """The end user opens the enrollment link, sends the form empty, then applies."""
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for the Cyber Verification Program")
    snapshot("01-enrollment-form")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one tier.")
    expect(page.locator("#cyber-use_case-error")).to_have_text("Error: Describe how you will use the program.")
    snapshot("02-enrollment-errors")
    page.get_by_label("Specialized Access").check()
    page.get_by_label("Defense Access").check()
    page.get_by_label("How will you use the program?").fill("Red-team exercises for our banking clients")
    page.get_by_label("Organization").fill("Example Security Ltd")
    page.get_by_label("Contact email").fill("ada@example.com")
    page.get_by_label("I confirm that the information I have given is accurate.").check()
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you — your application was received.")
    snapshot("03-enrollment-received")


def approve_in_the_console(page: Page, server: Server, org: Org, snapshot: Snapshot) -> None:
    """The operator signs in with the admin key and approves from the queue."""
    page.goto(f"{server.url}/console")
    expect(page).to_have_url(f"{server.url}/console/login")
    snapshot("04-console-sign-in")
    page.get_by_label("Admin API key").fill(org.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#count-pending-enrollments")).to_have_text("1")
    snapshot("05-console-dashboard")
    page.get_by_role("link", name="Enrollments").first.click()
    card = page.locator("article.card", has_text="Ada Example")
    expect(card).to_contain_text("Red-team exercises for our banking clients")
    expect(card.get_by_label("Specialized Access (requested)")).to_be_checked()
    expect(card.get_by_label("Red Team Access")).not_to_be_checked()
    snapshot("06-console-queue")
    card.get_by_label("Human review required").uncheck()
    card.get_by_label("Note (optional, kept with the decision)").fill("Verified employer")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text("Enrollment approved.")
    snapshot("07-console-approved")


def unwrapped(client: anthropic.Anthropic, delivered: list[Received], secret: str) -> list[BetaWebhookEvent]:
    """Every delivery, verified and parsed the way the platform's receiver does it."""
    events = [client.beta.webhooks.unwrap(item.body.decode(), headers=item.headers, key=secret) for item in delivered]
    assert [item.headers["webhook-id"] for item in delivered] == [event.id for event in events]
    assert len({event.id for event in events}) == len(events)  # one event per change, each sent once
    return events


def show_the_deliveries(page: Page, server: Server, profile_id: str, snapshot: Snapshot) -> None:
    """The profile's page lists both deliveries; its link opens the delivery log filtered to it."""
    page.goto(f"{server.url}/console/profiles/{profile_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Example")
    rows = page.locator("#deliveries tbody tr")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row).to_contain_text(UPDATED)
        expect(row).to_contain_text("succeeded")
    snapshot("08-console-profile")
    page.get_by_role("link", name="All of them in the delivery log, with every attempt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.locator("#endpoints")).to_contain_text("Platform")
    expect(page.locator("article.card")).to_have_count(2)
    snapshot("09-console-webhooks")


def open_a_verifiable_restriction(page: Page, server: Server, profile_id: str) -> None:
    """The operator restricts the profile from its console page, clearable by an identity check."""
    page.goto(f"{server.url}/console/profiles/{profile_id}")
    form = page.get_by_role("form", name="Open an enforcement action")
    form.get_by_label("Type").select_option("restriction")
    form.get_by_label("Reason").select_option("unsupported_region")
    form.get_by_label("Verifiable").check()
    form.get_by_role("button", name="Open action").click()
    expect(page.get_by_role("status")).to_have_text("Enforcement action opened.")
