"""What a browser sees when something goes wrong on a page path (/enroll, /portal, /console): a small HTML
page with the pages' security headers and the request ID to quote, never the API's JSON envelope, which
/v1/ keeps. A form address opened with GET (a reload, a copied URL) leads to its page.

The 500 and 529 come from real faults of a server of their own: a table gone from its database, and its
SQLite file write-locked by another process for longer than the busy timeout.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, sync_playwright
from sqlalchemy import text

from tests.databases import backend_of, fresh_database, opened
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.pages.support import (
    R1,
    VALID_APPLICATION,
    assert_page,
    create_profile,
    csrf_of,
    http_client,
    link_path,
    text_of,
)
from uprof.accounts import service as accounts

NOT_FOUND = "Page not found"
NOT_ALLOWED = "This page can’t be opened this way"
FAULT = "Something went wrong"
BUSY = "We are busy right now"
NOT_VALID = "This link is not valid"
THANKS = "Thank you — your application was received."


@pytest.fixture
def browser(server: Server) -> Iterator[httpx.Client]:
    with http_client(server) as client:
        yield client


def assert_error_page(response: httpx.Response, status: int, heading: str) -> None:
    """The HTML error page: its heading, the pages' headers, and the request ID of the header in small print."""
    assert_page(response, status, heading)
    assert f"quote this request ID: {response.headers['request-id']}" in text_of(response)
    assert "api_error" not in response.text and '"type"' not in response.text


@pytest.mark.parametrize(
    ("method", "path", "status", "heading", "allow"),
    [
        ("GET", "/enroll/", 404, NOT_FOUND, None),
        ("GET", "/portal/", 404, NOT_FOUND, None),
        ("GET", "/enroll", 404, NOT_FOUND, None),
        ("GET", "/portal/abc/apply/", 404, NOT_FOUND, None),
        ("POST", "/enroll/abc/extra", 404, NOT_FOUND, None),
        ("GET", "/console/nowhere", 404, NOT_FOUND, None),
        ("PUT", "/enroll/abc", 405, NOT_ALLOWED, {"GET", "HEAD", "POST"}),
        ("POST", "/portal/abc", 405, NOT_ALLOWED, {"GET", "HEAD"}),
        ("DELETE", "/portal/abc/verify", 405, NOT_ALLOWED, {"GET", "HEAD", "POST"}),
        ("GET", "/console/enrollments/enr_x/approve", 405, NOT_ALLOWED, {"POST"}),
        ("PATCH", "/console/login", 405, NOT_ALLOWED, {"GET", "HEAD", "POST"}),
    ],
)
def test_missing_pages_and_wrong_methods_are_html_pages(
    browser: httpx.Client, method: str, path: str, status: int, heading: str, allow: set[str] | None
) -> None:
    response = browser.request(method, path)
    assert_error_page(response, status, heading)
    if allow is not None:
        assert {item.strip() for item in response.headers["allow"].split(",")} == allow


def test_console_error_pages_lead_back_to_the_console(browser: httpx.Client) -> None:
    response = browser.get("/console/nowhere")
    assert 'href="/console"' in response.text and "Go to the console dashboard" in text_of(response)
    assert "/console" not in browser.get("/enroll/").text


@pytest.mark.parametrize("path", ["/v1/enroll/abc", "/v1/portal/abc/apply", "/enrollments", "/v1/console"])
def test_other_paths_keep_the_api_envelope(browser: httpx.Client, path: str) -> None:
    response = browser.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == {"type": "not_found_error", "message": "not found"}


@pytest.mark.parametrize("form", ["apply", "verify"])
def test_opening_a_portal_form_address_leads_to_the_portal(api: httpx.Client, browser: httpx.Client, form: str) -> None:
    portal = link_path(api, create_profile(api)["id"], "portal")
    for method in ("GET", "HEAD"):
        response = browser.request(method, f"{portal}/{form}")
        assert response.status_code == 303
        assert response.headers["location"] == portal
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    followed = browser.get(f"{portal}/{form}", follow_redirects=True)
    assert_page(followed, 200, "Your programs and account standing")
    assert_page(browser.get(f"/portal/unknown/{form}", follow_redirects=True), 404, NOT_VALID)


def test_reopening_a_used_enrollment_address_says_it_was_used(api: httpx.Client, browser: httpx.Client) -> None:
    path = link_path(api, create_profile(api)["id"], "enrollment")
    done = browser.post(path, data={**VALID_APPLICATION, "csrf_token": csrf_of(browser.get(path))})
    assert_page(done, 200, THANKS)
    assert_page(browser.get(path), 410, "This link has expired or was already used")


# --- real faults, on a server of their own ---


@pytest.fixture
def own_server(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    """A server on a fresh database of this session's backend, and a standard key of it."""
    yield from _serve_fresh(backend_of(database_url), tmp_path)


@pytest.fixture
def sqlite_server(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    """The same on SQLite, in the SQLite session only."""
    if backend_of(database_url) != "sqlite":
        pytest.skip("the write lock held from outside is SQLite's")
    yield from _serve_fresh("sqlite", tmp_path)


def _serve_fresh(backend: str, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    with fresh_database(backend, tmp_path) as url:
        with opened(url) as database:
            key = database.run(lambda c: accounts.create_key(c, name="faults").key, write=True)
        server = start_server(url)
        try:
            yield server, key
        finally:
            stop_server(server)


def test_a_server_fault_on_a_page_is_an_html_page(own_server: tuple[Server, str]) -> None:
    server, key = own_server
    with http_client(server, headers={"x-api-key": key}) as api, http_client(server) as browser:
        profile = create_profile(api)
        with opened(server.database_url) as database:
            database.run(lambda c: c.execute(text("DROP TABLE link")), write=True)
        assert_error_page(browser.get("/enroll/" + "t" * 43), 500, FAULT)
        assert_error_page(browser.post("/portal/" + "t" * 43 + "/verify", data={"csrf_token": "x"}), 500, FAULT)
        # The same fault under /v1/ is the API's envelope.
        answer = api.post(f"/v1/user_profiles/{profile['id']}/enrollment_url", headers=R1)
        assert answer.status_code == 500 and answer.headers["content-type"] == "application/json"
        assert answer.json()["error"] == {"type": "api_error", "message": "internal server error"}


def test_a_busy_database_on_a_page_is_an_html_page(sqlite_server: tuple[Server, str]) -> None:
    server, key = sqlite_server
    with http_client(server, headers={"x-api-key": key}) as api, http_client(server) as browser:
        path = link_path(api, create_profile(api)["id"], "enrollment")
        form = {**VALID_APPLICATION, "csrf_token": csrf_of(browser.get(path))}
        holder = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # held past the server's 5-second busy timeout
            assert_error_page(browser.post(path, data=form), 529, BUSY)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert_page(browser.post(path, data=form), 200, THANKS)  # the busy attempt changed nothing


# --- in a real browser ---


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        yield launched
        launched.close()


def test_a_browser_lands_on_a_page_from_a_copied_form_address(
    chromium: Browser, server: Server, api: httpx.Client
) -> None:
    portal = link_path(api, create_profile(api)["id"], "portal")
    context = chromium.new_context()
    page = context.new_page()
    refused: list[str] = []

    def check(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused" in message.text:
            refused.append(message.text)

    page.on("console", check)
    try:
        page.goto(f"{server.url}{portal}/apply")
        assert page.url == f"{server.url}{portal}"
        assert page.locator("h1").inner_text() == "Your programs and account standing"
        missing = page.goto(f"{server.url}/enroll/")
        assert missing is not None and missing.status == 404
        assert page.locator("h1").inner_text() == NOT_FOUND
        assert page.locator(".reference code").inner_text() == missing.headers["request-id"]
    finally:
        context.close()
    assert refused == []  # the error page keeps to the content security policy
