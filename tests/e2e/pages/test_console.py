"""The operator console (docs/reference/provider.md §6) over raw HTTP: signing in and out, the session cookie,
CSRF on every form, sessions ending with their key, and each operation with its effect as the
profile API shows it and its errors next to the form."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from starlette.testclient import TestClient

from tests.e2e.conftest import Server
from tests.e2e.pages.support import (
    VALID_APPLICATION,
    VALID_IDENTITY,
    Org,
    admin_view,
    assert_page,
    create_profile,
    csrf_of,
    ga,
    http_client,
    link_path,
    new_org,
    r1,
    text_of,
)
from tests.secret_keys import SECRET_KEY_ENVIRONMENT, TEST_SECRET_KEY
from uprof import cli
from uprof.accounts import service as accounts
from uprof.app import create_app
from uprof.cli import server as cli_server
from uprof.config import Settings
from uprof.db.unit_of_work import Database
from uprof.pages.models import console_session
from uprof.timestamps import utc_now

NOT_DONE = "Not done:"


def sign_in(server: Server, key: str) -> httpx.Client:
    client = http_client(server)
    login = client.get("/console/login")
    response = client.post("/console/login", data={"csrf_token": csrf_of(login), "api_key": key})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"
    return client


@pytest.fixture
def console(server: Server, org: Org) -> Iterator[httpx.Client]:
    with closing(sign_in(server, org.admin_key)) as client:
        yield client


def post(
    console: httpx.Client, path: str, fields: dict[str, Any] | None = None, page: str = "/console"
) -> httpx.Response:
    """Submit a console form with the session's CSRF token, as the browser would from `page`."""
    csrf = csrf_of(console.get(page))
    return console.post(path, data={**(fields or {}), "csrf_token": csrf, "return_to": page})


def sessions(database: Database, key_id: str) -> list[Any]:
    query = select(console_session).where(console_session.c.api_key_id == key_id)
    return database.run(lambda c: list(c.execute(query)), write=False)


def apply_through_link(server: Server, api: httpx.Client, profile_id: str, **change: Any) -> None:
    with http_client(server) as browser:
        path = link_path(api, profile_id, "enrollment")
        page = browser.get(path)
        done = browser.post(path, data={**VALID_APPLICATION, **change, "csrf_token": csrf_of(page)})
        assert done.status_code == 200, done.text


def apply_for_efs(server: Server, api: httpx.Client, profile_id: str) -> None:
    with http_client(server) as browser:
        path = link_path(api, profile_id, "portal")
        fields = {**VALID_APPLICATION, "program": "efs", "requested_features": ["cmek"]}
        done = browser.post(path + "/apply", data={**fields, "csrf_token": csrf_of(browser.get(path))})
        assert done.status_code == 200, done.text


def submit_identity(server: Server, api: httpx.Client, profile_id: str) -> None:
    with http_client(server) as browser:
        path = link_path(api, profile_id, "portal")
        done = browser.post(path + "/verify", data={**VALID_IDENTITY, "csrf_token": csrf_of(browser.get(path))})
        assert done.status_code == 200, done.text


def open_restriction(admin: httpx.Client, profile_id: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "restriction", "reason": "unsupported_region", "verifiable": True, **fields}
    response = admin.post(f"/v1/admin/user_profiles/{profile_id}/enforcement_actions", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- signing in and out ---


def test_signing_in_sets_a_strict_session_cookie_stored_only_as_a_hash(
    server: Server, org: Org, database: Database
) -> None:
    with http_client(server) as client:
        assert client.get("/console").headers["location"] == "/console/login"
        login = client.get("/console/login")
        assert_page(login, 200, "Sign in to the operator console", "Admin API key")
        assert "uprof_login=" in login.headers["set-cookie"]
        response = client.post("/console/login", data={"csrf_token": csrf_of(login), "api_key": org.admin_key})
        assert response.status_code == 303
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("uprof_session="))
        token = cookie.split(";")[0].removeprefix("uprof_session=")
        assert len(token) == 43  # 32 random bytes, base64url
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "path=/console", "samesite=strict", "max-age=43200"} <= attributes
        assert "secure" not in attributes  # the public base URL is http
        [stored] = sessions(database, org.admin_key_id)
        assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (stored.token_sha256, stored.csrf_token)
        assert timedelta(hours=11, minutes=59) < stored.expires_at - stored.created_at <= timedelta(hours=12)
        dashboard = client.get("/console")
        assert_page(dashboard, 200, "Dashboard", "pending enrollments", "failed webhook deliveries")
        assert client.get("/console/login").headers["location"] == "/console"  # already signed in


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        ("", 400, "Enter an admin API key (sk-uprof-admin-…)"),  # missing, not invalid
        ("  ", 400, "Enter an admin API key (sk-uprof-admin-…)"),
        ("sk-uprof-admin-unknown", 401, "This key is not valid."),
        ("standard", 403, "This key is not an admin key."),
    ],
)
def test_only_admin_keys_sign_in(
    server: Server, org: Org, database: Database, key: str, status: int, message: str
) -> None:
    with http_client(server) as client:
        login = client.get("/console/login")
        sent = org.key if key == "standard" else key
        response = client.post("/console/login", data={"csrf_token": csrf_of(login), "api_key": sent})
        assert_page(response, status, message)
        assert "uprof_session" not in response.headers.get("set-cookie", "")
        assert client.get("/console").status_code == 303
    assert sessions(database, org.admin_key_id) == []


@pytest.mark.parametrize("csrf", ["missing", "wrong"])
def test_the_sign_in_form_needs_its_token(server: Server, org: Org, database: Database, csrf: str) -> None:
    with http_client(server) as client:
        client.get("/console/login")
        fields = {"api_key": org.admin_key} | ({"csrf_token": "forged"} if csrf == "wrong" else {})
        assert_page(client.post("/console/login", data=fields), 403, "This form has expired")
    assert sessions(database, org.admin_key_id) == []


@contextmanager
def in_process(settings: Settings) -> Iterator[TestClient]:
    """The app of `settings` in this process, for what only changes with options (no lifespan runs)."""
    app = create_app(settings)
    try:
        with closing(TestClient(app, follow_redirects=False)) as client:
            yield client
    finally:
        # No lifespan ran, so nothing else stops the database threads (PostgreSQL) that kept connections.
        runtime = app.state.runtime
        if runtime.database_threads is not None:
            asyncio.run(runtime.database_threads.stop())
        runtime.database.engine.dispose()


def test_the_cookie_is_secure_behind_an_https_base_url(database_url: str, org: Org) -> None:
    settings = Settings(
        database_url=database_url, public_base_url="https://uprof.example.com", secret_key=TEST_SECRET_KEY
    )
    with in_process(settings) as client:
        login = client.get("/console/login")
        assert "secure" in login.headers["set-cookie"].lower()
        # The test client keeps Secure cookies for https, so the double-submit cookie goes back by hand.
        fields = {"csrf_token": csrf_of(login), "api_key": org.admin_key}
        response = client.post(
            "/console/login", data=fields, headers={"cookie": login.headers["set-cookie"].split(";")[0]}
        )
        assert response.status_code == 303, response.text
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("uprof_session="))
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}


@pytest.mark.parametrize(
    ("arguments", "environment", "enabled"),
    [
        ([], {}, True),
        (["--no-console"], {}, False),
        ([], {"UPROF_CONSOLE": "false"}, False),
        (["--console"], {"UPROF_CONSOLE": "false"}, True),
    ],
)
def test_the_console_can_be_turned_off(
    database_url: str, monkeypatch: pytest.MonkeyPatch, arguments: list[str], environment: dict[str, str], enabled: bool
) -> None:
    started: list[Settings] = []

    def run_server(settings: Settings, database: Database | None = None) -> None:
        """Everything `uprof serve` does but listening; the database it hands over is closed as serving would."""
        started.append(settings)
        if database is not None:
            database.engine.dispose()

    monkeypatch.setattr(cli_server, "_run_server", run_server)
    arguments = ["serve", "--database-url", database_url, *arguments]
    result = CliRunner().invoke(cli.main, arguments, env={**environment, **SECRET_KEY_ENVIRONMENT})
    assert result.exit_code == 0, result.output
    [settings] = started
    assert settings.console is enabled
    with in_process(settings) as client:
        for path, status in (("/console", 303), ("/console/login", 200)):
            assert client.get(path).status_code == (status if enabled else 404)
        assert_page(client.get("/enroll/unknown"), 404, "This link is not valid")  # the end-user pages stay


def test_signing_out_ends_the_session(console: httpx.Client, org: Org, database: Database) -> None:
    assert_page(console.get("/console/logout"), 200, "End this console session?")
    assert console.post("/console/logout", data={}).status_code == 403
    assert len(sessions(database, org.admin_key_id)) == 1
    response = post(console, "/console/logout")
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert sessions(database, org.admin_key_id) == []
    assert console.get("/console").headers["location"] == "/console/login"


def test_revoking_the_key_ends_its_sessions_on_the_next_request(server: Server, org: Org, database: Database) -> None:
    first, second = sign_in(server, org.admin_key), sign_in(server, org.admin_key)
    with closing(first), closing(second):
        assert first.get("/console").status_code == 200
        assert database.run(lambda c: accounts.revoke_key(c, org.admin_key_id), write=True) is True
        ended = first.get("/console")
        assert ended.status_code == 303 and ended.headers["location"] == "/console/login"
        assert "uprof_session=" in ended.headers["set-cookie"] and "max-age=0" in ended.headers["set-cookie"].lower()
        assert second.post("/console/enrollments/enr_x/approve", data={"csrf_token": "x"}).status_code == 303
        assert sessions(database, org.admin_key_id) == []


def test_an_expired_session_ends(console: httpx.Client, org: Org, database: Database) -> None:
    past = utc_now() - timedelta(seconds=1)
    database.run(
        lambda c: c.execute(
            update(console_session).where(console_session.c.api_key_id == org.admin_key_id).values(expires_at=past)
        ),
        write=True,
    )
    assert console.get("/console/profiles").headers["location"] == "/console/login"
    assert sessions(database, org.admin_key_id) == []


FORMS = [
    "/console/logout",
    "/console/enrollments/{enrollment}/approve",
    "/console/enrollments/{enrollment}/reject",
    "/console/identity_checks/{check}/approve",
    "/console/identity_checks/{check}/reject",
    "/console/profiles/{profile}/programs/cyber",
    "/console/profiles/{profile}/programs/cyber/clear",
    "/console/profiles/{profile}/enforcement_actions",
    "/console/profiles/{profile}/links/enrollment",
    "/console/enforcement_actions/{action}/resolve",
]


def objects_of_every_kind(
    server: Server, api: httpx.Client, admin: httpx.Client, profile_id: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """Give the profile an enrollment, an open action and an identity check: the IDs each console
    form names (for FORMS' placeholders), and the operator's view of the profile afterwards."""
    apply_through_link(server, api, profile_id)
    action = open_restriction(admin, profile_id)
    submit_identity(server, api, profile_id)
    view = admin_view(admin, profile_id)
    ids = {
        "profile": profile_id,
        "enrollment": view["enrollments"][0]["id"],
        "check": view["identity_checks"][0]["id"],
        "action": action["id"],
    }
    return ids, view


@pytest.mark.parametrize("csrf", ["missing", "wrong", "non-ascii"])
def test_every_form_needs_the_session_csrf_token(
    server: Server,
    api: httpx.Client,
    admin: httpx.Client,
    console: httpx.Client,
    org: Org,
    database: Database,
    csrf: str,
) -> None:
    profile = create_profile(api)
    ids, view = objects_of_every_kind(server, api, admin, profile["id"])
    fields = {"status": "active", "type": "ban", "reason": "high_harm"}
    if csrf != "missing":
        fields["csrf_token"] = "0" * 64 if csrf == "wrong" else "é" * 64
    for form in FORMS:
        assert_page(console.post(form.format(**ids), data=fields), 403, "This form has expired")
    assert admin_view(admin, profile["id"]) == {**view, "profile": {**view["profile"]}}
    assert len(sessions(database, org.admin_key_id)) == 1


def test_no_form_reaches_another_organizations_objects(
    server: Server, console: httpx.Client, database: Database
) -> None:
    """Every console form, aimed at another organization's profile, enrollment, identity check and
    action with a valid session and CSRF token: a not-found page, and nothing of theirs changes."""
    other = new_org(database)
    with other.api(server) as their_api, other.api(server, admin=True) as their_admin:
        profile = create_profile(their_api, "Not Yours")
        ids, view = objects_of_every_kind(server, their_api, their_admin, profile["id"])
        fields = {"status": "active", "tiers": ["a"], "type": "ban", "reason": "high_harm"}
        for form in FORMS[1:]:  # all but sign-out, which has no object
            refused = post(console, form.format(**ids), fields)
            assert refused.status_code == 404, (form, refused.status_code, text_of(refused)[:200])
            assert "Not Yours" not in refused.text
        assert_page(console.get(f"/console/profiles/{profile['id']}"), 404, "Profile not found")
        assert admin_view(their_admin, profile["id"]) == view


# --- dashboard ---


def test_the_dashboard_counts_what_waits(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    empty = console.get("/console")
    for counter in ("pending-enrollments", "submitted-checks", "open-actions", "failed-deliveries"):
        assert f'id="count-{counter}">0<' in empty.text
    first, second = create_profile(api), create_profile(api, "Grace")
    apply_through_link(server, api, first["id"])
    assert "1 pending enrollment 0 identity checks to decide" in text_of(console.get("/console"))
    apply_through_link(server, api, second["id"])
    open_restriction(admin, first["id"])
    open_restriction(admin, second["id"], verifiable=False)
    submit_identity(server, api, first["id"])
    page = console.get("/console")
    assert 'id="count-pending-enrollments">2<' in page.text
    assert 'id="count-submitted-checks">1<' in page.text
    assert 'id="count-open-actions">2<' in page.text
    assert (
        "2 pending enrollments 1 identity check to decide 2 open enforcement actions 0 failed webhook deliveries"
        in text_of(page)
    )


# --- enrollment queue ---


def test_the_queue_lists_pending_applications_with_their_answers(
    server: Server, api: httpx.Client, console: httpx.Client
) -> None:
    profile = create_profile(api, "Queue Person")
    apply_through_link(server, api, profile["id"])
    queue = console.get("/console/enrollments")
    assert_page(
        queue, 200, "Enrollment queue", "Queue Person", str(VALID_APPLICATION["use_case"]), "Example Security Ltd"
    )
    assert_page(queue, 200, "ada@example.com", "Specialized Access (requested)", "Red Team Access")
    assert queue.text.count('value="a" checked') == 1 and queue.text.count('value="c" checked') == 1
    assert 'name="data_retention" value="true" checked' in queue.text
    assert "No enrollments match" in text_of(console.get("/console/enrollments?status=approved"))
    assert "Queue Person" not in console.get("/console/enrollments?program=efs").text
    assert "Queue Person" in console.get("/console/enrollments?status=&source=enrollment_url&order=desc").text
    assert "Queue Person" in console.get(f"/console/enrollments?user_profile_id={profile['id']}").text
    bad = console.get("/console/enrollments?status=done")
    assert_page(bad, 400, "status: must be one of pending, approved, rejected, superseded")
    assert_page(console.get("/console/enrollments?page=page_forged"), 400, "page: not a valid cursor")


def test_approving_grants_the_chosen_tiers_and_requirements(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    profile = create_profile(api)
    apply_through_link(server, api, profile["id"])
    [enrollment] = admin_view(admin, profile["id"])["enrollments"]
    before = ga(api, profile["id"])
    fields = {"tiers": ["b"], "data_retention": "true", "note": "Verified employer"}
    approved = post(console, f"/console/enrollments/{enrollment['id']}/approve", fields, page="/console/enrollments")
    assert approved.status_code == 303
    assert approved.headers["location"] == "/console/enrollments?notice=approved"
    assert_page(console.get(approved.headers["location"]), 200, "Enrollment approved.")
    after = ga(api, profile["id"])
    assert after["programs"]["cyber"] == {
        "status": "active",
        "tiers": {"a": {"status": "inactive"}, "b": {"status": "active"}, "c": {"status": "inactive"}},
        "requirements": {"data_retention": True, "human_review": False},
    }
    assert after["updated_at"] > before["updated_at"]
    assert r1(api, profile["id"])["trust_grants"] == {"cyber": {"status": "active"}}
    [decided] = admin_view(admin, profile["id"])["enrollments"]
    assert (decided["status"], decided["decision_note"]) == ("approved", "Verified employer")
    again = post(console, f"/console/enrollments/{enrollment['id']}/approve", fields, page="/console/enrollments")
    assert_page(again, 409, "enrollment is not pending (status: approved)")


def test_approving_efs_grants_features(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    profile = create_profile(api)
    apply_for_efs(server, api, profile["id"])
    [enrollment] = admin_view(admin, profile["id"])["enrollments"]
    path = f"/console/enrollments/{enrollment['id']}/approve"
    bad = post(console, path, {"features": ["cmek", "bogus"]}, page="/console/enrollments")
    assert_page(bad, 400, "features[1]: must be one of data_retention_exemption, cmek, storage")
    assert f'id="{enrollment["id"]}-error"' in bad.text  # next to that enrollment's forms
    assert 'name="return_to" value="/console/enrollments"' in bad.text  # forms on it still come back here
    assert ga(api, profile["id"])["programs"]["efs"]["status"] == "pending"
    assert post(console, path, {"features": ["storage"]}, page="/console/enrollments").status_code == 303
    efs = ga(api, profile["id"])["programs"]["efs"]
    assert efs["status"] == "active"
    assert {name: item["status"] for name, item in efs["features"].items()} == {
        "data_retention_exemption": "inactive",
        "cmek": "inactive",
        "storage": "active",
    }


def test_rejecting_with_a_note(server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client) -> None:
    profile = create_profile(api)
    apply_through_link(server, api, profile["id"])
    [enrollment] = admin_view(admin, profile["id"])["enrollments"]
    path = f"/console/enrollments/{enrollment['id']}/reject"
    too_long = post(console, path, {"note": "n" * 1001}, page="/console/enrollments")
    assert_page(too_long, 400, "note: must be at most 1000 characters")
    page = "/console/enrollments?status=pending&program=cyber"
    rejected = post(console, path, {"note": "Not a security firm"}, page=page)
    assert rejected.headers["location"] == "/console/enrollments?status=pending&program=cyber&notice=rejected"
    assert r1(api, profile["id"])["trust_grants"] == {"cyber": {"status": "rejected"}}
    [decided] = admin_view(admin, profile["id"])["enrollments"]
    assert (decided["status"], decided["decision_note"]) == ("rejected", "Not a security firm")
    missing = post(console, "/console/enrollments/enr_unknown/reject", page="/console/enrollments")
    assert_page(missing, 404, "enrollment not found")


def test_return_to_never_leaves_the_console(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    profile = create_profile(api)
    apply_through_link(server, api, profile["id"])
    [enrollment] = admin_view(admin, profile["id"])["enrollments"]
    csrf = csrf_of(console.get("/console"))
    fields = {"csrf_token": csrf, "return_to": "//evil.example.com/console"}
    response = console.post(f"/console/enrollments/{enrollment['id']}/reject", data=fields)
    assert response.headers["location"] == "/console/enrollments?notice=rejected"


# --- identity checks ---


def test_approving_an_identity_check_resolves_the_restriction(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    profile = create_profile(api, "Checked Person")
    open_restriction(admin, profile["id"])
    submit_identity(server, api, profile["id"])
    listing = console.get("/console/identity_checks")
    assert_page(listing, 200, "Identity checks", "Checked Person", "Passport ending 4821", "GB")
    [check] = admin_view(admin, profile["id"])["identity_checks"]
    done = post(console, f"/console/identity_checks/{check['id']}/approve", {"note": "ok"}, "/console/identity_checks")
    assert done.headers["location"] == "/console/identity_checks?notice=check_approved"
    after = ga(api, profile["id"])
    assert (after["enforcement_status"], after["enforcement_actions"]) == ("unrestricted", [])
    assert "Checked Person" not in console.get("/console/identity_checks").text
    assert "Checked Person" in console.get("/console/identity_checks?status=approved").text
    again = post(console, f"/console/identity_checks/{check['id']}/approve", page="/console/identity_checks")
    assert_page(again, 409, "identity check is not awaiting a decision (status: approved)")


@pytest.mark.parametrize("allow_retry", [True, False])
def test_rejecting_an_identity_check(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client, allow_retry: bool
) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"])
    submit_identity(server, api, profile["id"])
    assert ga(api, profile["id"])["enforcement_status"] == "pending"
    [check] = admin_view(admin, profile["id"])["identity_checks"]
    fields = {"allow_retry": "true"} if allow_retry else {}
    done = post(console, f"/console/identity_checks/{check['id']}/reject", fields, "/console/identity_checks")
    assert done.status_code == 303
    after = ga(api, profile["id"])
    assert after["enforcement_status"] == "restricted"
    assert after["enforcement_actions"][0]["action"] == ("verify" if allow_retry else None)
    assert admin_view(admin, profile["id"])["identity_checks"][0]["status"] == "rejected"
    assert_page(console.get("/console/identity_checks?status=bogus"), 400, "status: must be one of")


# --- profiles ---


def test_searching_profiles(api: httpx.Client, console: httpx.Client, database: Database, server: Server) -> None:
    mine = create_profile(api, "Searchable Sam")
    other = new_org(database)
    with other.api(server) as other_api:
        theirs = create_profile(other_api, "Searchable Sue")
    found = console.get("/console/profiles?q=searchable")
    assert_page(found, 200, "Searchable Sam", mine["id"])
    assert "Searchable Sue" not in found.text
    assert_page(console.get(f"/console/profiles?q={mine['id']}"), 200, "Searchable Sam")
    assert "No profile matches" in text_of(console.get("/console/profiles?q=nobody-here"))
    assert_page(console.get(f"/console/profiles/{theirs['id']}"), 404, "Profile not found")
    assert_page(console.get("/console/profiles?page=page_x"), 400, "page: not a valid cursor")


def test_the_profile_page_shows_every_revision_side_by_side(
    server: Server, api: httpx.Client, admin: httpx.Client, console: httpx.Client
) -> None:
    profile = create_profile(api, "Four Views")
    apply_through_link(server, api, profile["id"])
    open_restriction(admin, profile["id"], note="Signup from a blocked region")
    page = console.get(f"/console/profiles/{profile['id']}")
    assert_page(page, 200, "Four Views", profile["id"], "R1 · 2026-03-24", "R2 · 2026-08-18", "R3 · 2026-09-04", "GA")
    assert_page(page, 200, "Note: Signup from a blocked region", "cyber pending decide a, c enrollment_url")
    shown = [match.group(1) for match in re.finditer(r"<pre>(.*?)</pre>", page.text, re.S)]
    assert len(shown) == 4
    r1_view, r2_view, r3_view, ga_view = shown
    assert "&#34;relationship&#34;" in r1_view and "access_type" not in r1_view
    assert "&#34;external_user_onboarded_at&#34;" in r2_view
    assert "&#34;external_user_details&#34;" in r3_view and "&#34;trust_grants&#34;" in r3_view
    assert "&#34;programs&#34;" in ga_view and "&#34;enforcement_status&#34;: &#34;restricted&#34;" in ga_view
    assert profile["metadata"]["crm"] in r1_view


def test_the_program_editor(api: httpx.Client, console: httpx.Client) -> None:
    profile = create_profile(api)
    path = f"/console/profiles/{profile['id']}"
    buttons = text_of(console.get(path))  # each program by the name the end-user pages give it
    for program in ("Cyber Verification Program", "Enterprise Frontier Safeguards"):
        assert f"Save {program} standing" in buttons
    assert "efs standing" not in buttons and "cyber standing" not in buttons
    nothing = post(console, path + "/programs/cyber", {"status": "", "tiers.a": ""}, page=path)
    assert_page(nothing, 400, NOT_DONE, "body: must set at least one of status, tiers, requirements")
    conflicting = post(console, path + "/programs/cyber", {"status": "pending", "tiers.a": "active"}, page=path)
    assert_page(conflicting, 400, "tiers.a: can be active only when status is active")
    assert 'id="program-cyber-error"' in conflicting.text
    unlisted = console.post(path + "/programs/cyber", data={"csrf_token": csrf_of(conflicting)})
    assert f'name="return_to" value="{path}"' in unlisted.text  # no return_to sent: the profile page
    # The form comes back as the operator left it.
    assert '<option value="pending" selected>pending</option>' in conflicting.text
    assert conflicting.text.count(" selected>") == 2
    assert ga(api, profile["id"])["programs"]["cyber"] is None
    fields = {"tiers.c": "active", "requirements.data_retention": "false", "requirements.human_review": ""}
    saved = post(console, path + "/programs/cyber", fields, page=path)
    assert saved.headers["location"] == f"{path}?notice=program_saved"
    assert ga(api, profile["id"])["programs"]["cyber"] == {
        "status": "active",
        "tiers": {"a": {"status": "inactive"}, "b": {"status": "inactive"}, "c": {"status": "active"}},
        "requirements": {"data_retention": False, "human_review": True},
    }
    assert post(console, path + "/programs/efs", {"status": "rejected"}, page=path).status_code == 303
    assert r1(api, profile["id"])["trust_grants"] == {"cyber": {"status": "active"}, "efs": {"status": "rejected"}}
    assert post(console, path + "/programs/cyber/clear", page=path).status_code == 303
    assert ga(api, profile["id"])["programs"] == {
        "cyber": None,
        "efs": {
            "status": "rejected",
            "features": {
                "data_retention_exemption": {"status": "inactive"},
                "cmek": {"status": "inactive"},
                "storage": {"status": "inactive"},
            },
        },
    }
    assert_page(post(console, path + "/programs/other", {"status": "active"}, page=path), 404, "program not found")
    gone = post(console, "/console/profiles/uprof_unknown/programs/cyber", {"status": "active"}, page=path)
    assert_page(gone, 404, "Profile not found")


def test_opening_and_resolving_actions(api: httpx.Client, admin: httpx.Client, console: httpx.Client) -> None:
    profile = create_profile(api)
    path = f"/console/profiles/{profile['id']}"
    new = path + "/enforcement_actions"
    for fields, message in [
        ({"type": "ban", "reason": "high_harm", "verifiable": "true"}, "verifiable: not allowed for a ban"),
        (
            {"type": "restriction", "reason": "high_harm", "expires_at": "2001-01-01T00:00"},
            "expires_at: must be in the future",
        ),
        ({"type": "restriction", "reason": "nope"}, "reason: must be one of unsupported_region"),
        (
            {"type": "restriction", "reason": "high_harm", "expires_at": "soon"},
            "expires_at: must be a complete RFC 3339",
        ),
    ]:
        refused = post(console, new, fields, page=path)
        assert_page(refused, 400, message)
        assert 'id="open-action-error"' in refused.text
        assert f'<option value="{fields["type"]}" selected>' in refused.text
    assert ga(api, profile["id"])["enforcement_actions"] == []
    fields = {
        "type": "restriction",
        "reason": "unsupported_region",
        "verifiable": "true",
        "expires_at": "2031-03-04T05:06",
    }
    opened = post(console, new, {**fields, "note": "blocked region"}, page=path)
    assert opened.headers["location"] == f"{path}?notice=action_opened"
    [action] = ga(api, profile["id"])["enforcement_actions"]
    assert (action["type"], action["action"], action["expires_at"]) == (
        "restriction",
        "verify",
        "2031-03-04T05:06:00.000000Z",
    )
    resolved = post(console, f"/console/enforcement_actions/{action['id']}/resolve", {"note": "moved"}, page=path)
    assert resolved.headers["location"] == f"{path}?notice=action_resolved"
    assert ga(api, profile["id"])["enforcement_status"] == "unrestricted"
    [stored] = admin_view(admin, profile["id"])["enforcement_actions"]
    assert (stored["resolution"], stored["note"]) == ("operator", "moved")
    again = post(console, f"/console/enforcement_actions/{action['id']}/resolve", page=path)
    assert_page(again, 409, "enforcement action is already resolved")
    assert f'id="{action["id"]}-error"' in again.text
    assert_page(
        post(console, "/console/enforcement_actions/enac_x/resolve", page=path), 404, "enforcement action not found"
    )


@pytest.mark.parametrize("kind", ["enrollment", "portal"])
def test_creating_links_for_the_end_user(server: Server, api: httpx.Client, console: httpx.Client, kind: str) -> None:
    profile = create_profile(api)
    path = f"/console/profiles/{profile['id']}"
    page = post(console, f"{path}/links/{kind}", page=path)
    assert_page(page, 200, "copy it now, it is not shown again")
    url = re.search(r'id="issued-link" class="wide" readonly value="([^"]+)"', page.text)
    assert url is not None
    prefix = f"{server.url}/{'enroll' if kind == 'enrollment' else 'portal'}/"
    assert url.group(1).startswith(prefix)
    with http_client(server) as browser:
        assert_page(browser.get(url.group(1)), 200, "Cyber Verification Program")
    assert_page(post(console, f"{path}/links/other", page=path), 404, "unknown kind of link")


@pytest.mark.parametrize(
    "path",
    [
        "/console/profiles/%00",
        "/console/profiles/%ff%fe",
        "/console/profiles?q=%00",
        "/console/profiles?q=" + "x" * 5000,
        "/console/enrollments?user_profile_id=%00",
        "/console/enrollments?status=pending&status=approved&order=desc",
        "/console/identity_checks?user_profile_id=%00&status=",
        "/console/enrollments?page=" + "p" * 3000,
    ],
)
def test_odd_console_requests_never_fail_the_server(console: httpx.Client, path: str) -> None:
    response = console.get(path)
    assert response.status_code < 500, response.text
    assert_page(response, response.status_code)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/console/enrollments/%00/approve", {"tiers": "a"}),
        ("/console/identity_checks/%00/reject", {"note": "x"}),
        ("/console/profiles/%00/programs/cyber", {"status": "active"}),
        ("/console/profiles/%00/enforcement_actions", {"type": "ban", "reason": "high_harm"}),
        ("/console/enforcement_actions/%00/resolve", {}),
        ("/console/profiles/%00/links/portal", {}),
    ],
)
def test_odd_console_forms_never_fail_the_server(console: httpx.Client, path: str, fields: dict[str, str]) -> None:
    response = post(console, path, fields)
    assert 400 <= response.status_code < 500, response.text
    assert_page(response, response.status_code)


def test_webhook_delivery_log_with_attempts_and_retry(console: httpx.Client, admin: httpx.Client) -> None:
    hooks = {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"}
    endpoint = admin.post(
        "/v1/organizations/webhooks",
        headers=hooks,
        json={"url": "http://127.0.0.1:9/hook", "enabled_events": ["user_profile.program_status_updated"]},
    ).json()
    profile = admin.post("/v1/user_profiles", headers={"anthropic-version": "2023-06-01"}, json={}).json()
    assert admin.post(f"/v1/admin/user_profiles/{profile['id']}/programs/cyber", json={"status": "active"}).is_success
    disabled = admin.post(f"/v1/organizations/webhooks/{endpoint['id']}", headers=hooks, json={"state": "disabled"})
    assert disabled.json()["state"] == "disabled"  # disabling cancels the pending delivery
    delivery = admin.get("/v1/admin/webhook_deliveries", params={"endpoint_id": endpoint["id"]}).json()["data"][0]
    assert delivery["status"] == "cancelled"

    page = console.get("/console/webhooks")
    assert page.status_code == 200
    assert delivery["id"] in page.text and "user_profile.program_status_updated" in page.text
    assert 'aria-current="page">Webhooks' in page.text

    refused = post(console, f"/console/webhooks/deliveries/{delivery['id']}/retry", page="/console/webhooks")
    assert refused.status_code == 409 and "Not done:" in refused.text  # the endpoint is disabled

    admin.post(f"/v1/organizations/webhooks/{endpoint['id']}", headers=hooks, json={"state": "enabled"})
    retried = post(console, f"/console/webhooks/deliveries/{delivery['id']}/retry", page="/console/webhooks")
    assert retried.status_code == 303 and "notice=delivery_retried" in retried.headers["location"]
    after = admin.get(f"/v1/admin/webhook_deliveries/{delivery['id']}").json()
    assert after["status"] in ("pending", "failed")  # back in the queue (it may already have failed again)
    assert post(console, "/console/webhooks/deliveries/whdel_000000000000000000000000/retry").status_code == 404
