"""The end-user pages (docs/reference/provider.md §2–4) over raw HTTP against the real server.

Every page state, every form rule and its message, link consumption and replay, unknown and
spent links, CSRF refusal, the security headers, the body rules, and the effect of each
submission as the profile API shows it. No request may produce a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.e2e.conftest import Server
from tests.e2e.pages.support import (
    VALID_APPLICATION,
    VALID_IDENTITY,
    admin_view,
    assert_page,
    assert_private,
    create_profile,
    csrf_of,
    ga,
    http_client,
    link_path,
    r1,
    text_of,
)
from uprof.db.unit_of_work import Database
from uprof.links.models import link
from uprof.links.service import hash_token
from uprof.timestamps import utc_now

THANKS = "Thank you — your application was received."
IDENTITY_THANKS = "Thank you — your identity details were received."
NOT_VALID = "This link is not valid"
SPENT = "This link has expired or was already used"
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def browser(server: Server) -> Iterator[httpx.Client]:
    """The end user: no credentials, just the link."""
    with http_client(server) as client:
        yield client


def submit(browser: httpx.Client, path: str, fields: dict[str, Any], csrf: str | None = None) -> httpx.Response:
    """Post a form as a browser does, with the CSRF token the page carries unless one is given."""
    if csrf is None:
        csrf = csrf_of(browser.get(path.removesuffix("/apply").removesuffix("/verify")))
    return browser.post(path, data={**fields, "csrf_token": csrf})


def enrollments(admin: httpx.Client, profile_id: str) -> list[dict[str, Any]]:
    return list(admin_view(admin, profile_id)["enrollments"])


def open_restriction(admin: httpx.Client, profile_id: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "restriction", "reason": "unsupported_region", "verifiable": True, **fields}
    response = admin.post(f"/v1/admin/user_profiles/{profile_id}/enforcement_actions", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- enrollment page (docs/reference/provider.md §3) ---


def test_enrollment_page_offers_the_form_and_hides_private_fields(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    page = browser.get(link_path(api, profile["id"], "enrollment"))
    assert_page(page, 200, "Apply for the Cyber Verification Program", "Ada Example", "Specialized Access")
    assert_page(
        page, 200, "Red Team Access", "Defense Access", "I confirm that the information I have given is accurate."
    )
    assert_private(page, profile)
    for field in ("requested_tiers", "use_case", "organization", "contact_email", "accept", "csrf_token"):
        assert f'name="{field}"' in page.text
    assert '<label for="cyber-use_case">' in page.text


def test_an_unnamed_profile_is_addressed_without_a_name(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api, name=None)
    page = browser.get(link_path(api, profile["id"], "enrollment"))
    assert_page(page, 200, "Apply for the Cyber Verification Program")
    assert "Application for" not in page.text


def test_applying_consumes_the_link_and_the_api_shows_pending(
    api: httpx.Client, admin: httpx.Client, browser: httpx.Client
) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "enrollment")
    before = ga(api, profile["id"])
    done = submit(browser, path, VALID_APPLICATION)
    assert_page(done, 200, THANKS)
    assert_private(done, profile)
    assert r1(api, profile["id"])["trust_grants"] == {"cyber": {"status": "pending"}}
    after = ga(api, profile["id"])
    assert after["programs"]["cyber"] == {
        "status": "pending",
        "tiers": {tier: {"status": "inactive"} for tier in "abc"},
        "requirements": None,
    }
    assert after["updated_at"] > before["updated_at"]
    [enrollment] = enrollments(admin, profile["id"])
    assert {key: enrollment[key] for key in ("program", "status", "source", "requested")} == {
        "program": "cyber",
        "status": "pending",
        "source": "enrollment_url",
        "requested": ["a", "c"],
    }
    assert enrollment["use_case"] == VALID_APPLICATION["use_case"]
    assert (enrollment["organization"], enrollment["contact_email"]) == ("Example Security Ltd", "ada@example.com")
    # The link is used up: opening it or posting through it again is refused, and nothing changes.
    assert_page(browser.get(path), 410, SPENT)
    assert_page(browser.post(path, data=VALID_APPLICATION), 410, SPENT)
    assert len(enrollments(admin, profile["id"])) == 1


def test_pending_and_active_profiles_see_their_status_without_a_form(
    api: httpx.Client, admin: httpx.Client, browser: httpx.Client
) -> None:
    profile = create_profile(api)
    submit(browser, link_path(api, profile["id"], "enrollment"), VALID_APPLICATION)
    pending = browser.get(link_path(api, profile["id"], "enrollment"))
    assert_page(pending, 200, "Your application is under review.")
    assert "<form" not in pending.text
    [enrollment] = enrollments(admin, profile["id"])
    approved = admin.post(f"/v1/admin/enrollments/{enrollment['id']}/approve", json={"tiers": ["b"]})
    assert approved.status_code == 200, approved.text
    active = browser.get(link_path(api, profile["id"], "enrollment"))
    assert_page(active, 200, "You are enrolled", "Red Team Access")
    assert "Specialized Access" not in text_of(active) and "<form" not in active.text


def test_a_rejected_profile_may_apply_again(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    submit(browser, link_path(api, profile["id"], "enrollment"), VALID_APPLICATION)
    [enrollment] = enrollments(admin, profile["id"])
    assert admin.post(f"/v1/admin/enrollments/{enrollment['id']}/reject", json={}).status_code == 200
    path = link_path(api, profile["id"], "enrollment")
    assert_page(browser.get(path), 200, "Your previous application was not approved", "Apply for")
    assert_page(submit(browser, path, {**VALID_APPLICATION, "requested_tiers": ["b"]}), 200, THANKS)
    assert r1(api, profile["id"])["trust_grants"] == {"cyber": {"status": "pending"}}
    assert [e["status"] for e in enrollments(admin, profile["id"])] == ["pending", "rejected"]


def test_a_post_after_someone_else_applied_shows_the_status_and_keeps_the_link(
    api: httpx.Client, browser: httpx.Client
) -> None:
    profile = create_profile(api)
    first, second = (link_path(api, profile["id"], "enrollment") for _ in range(2))
    csrf = csrf_of(browser.get(second))
    submit(browser, first, VALID_APPLICATION)
    late = submit(browser, second, VALID_APPLICATION, csrf=csrf)
    assert_page(late, 200, "Your application is under review.")
    assert_page(browser.get(second), 200, "Your application is under review.")  # not consumed


@pytest.mark.parametrize(
    ("change", "messages"),
    [
        (
            {"requested_tiers": [], "use_case": "", "accept": ""},
            [
                "Choose at least one tier.",
                "Describe how you will use the program.",
                "Confirm that the information is accurate.",
            ],
        ),
        ({"requested_tiers": ["z"]}, ["Choose at least one tier."]),
        ({"use_case": " \r\n "}, ["Describe how you will use the program."]),
        ({"use_case": "u" * 2001}, ["Describe how you will use the program."]),
        ({"organization": "o" * 256}, ["Use at most 255 characters."]),
        ({"contact_email": "ada.example.com"}, ["Enter a valid email address."]),
        ({"contact_email": "a@" + "b" * 253}, ["Enter a valid email address."]),
        ({"accept": ""}, ["Confirm that the information is accurate."]),
    ],
)
def test_an_invalid_form_comes_back_with_messages_and_the_link_stays(
    api: httpx.Client, browser: httpx.Client, change: dict[str, Any], messages: list[str]
) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "enrollment")
    before = ga(api, profile["id"])
    page = submit(browser, path, {**VALID_APPLICATION, **change})
    assert_page(page, 400, "Please correct the following", *messages)
    assert_private(page, profile)
    assert page.text.count('class="field-error"') == len(messages)
    assert 'aria-invalid="true"' in page.text
    assert ga(api, profile["id"]) == {**before, "updated_at": before["updated_at"]}
    assert_page(browser.get(path), 200, "Apply for")  # not consumed
    assert_page(submit(browser, path, VALID_APPLICATION), 200, THANKS)


def test_error_messages_are_tied_to_their_fields_and_values_come_back_escaped(
    api: httpx.Client, browser: httpx.Client
) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "enrollment")
    hostile = '<script>alert("x")</script> & more'
    page = submit(browser, path, {"use_case": hostile, "organization": "o" * 256, "requested_tiers": ["c"]})
    assert_page(page, 400, "Use at most 255 characters.", "Confirm that the information is accurate.")
    assert 'id="cyber-organization-error"' in page.text
    assert 'aria-describedby="cyber-organization-error"' in page.text
    assert 'aria-describedby="cyber-accept-error"' in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in page.text
    assert '<script>alert("x")' not in page.text
    assert 'value="c" aria-describedby="cyber-requested_tiers-c-hint" checked' in " ".join(page.text.split())


def test_the_limits_are_inclusive(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    fields = {
        **VALID_APPLICATION,
        "use_case": "é" * 2000,
        "organization": "o" * 255,
        "contact_email": "a@" + "b" * 252,
    }
    assert_page(submit(browser, link_path(api, profile["id"], "enrollment"), fields), 200, THANKS)
    [enrollment] = enrollments(admin, profile["id"])
    assert (len(enrollment["use_case"]), len(enrollment["organization"]), len(enrollment["contact_email"])) == (
        2000,
        255,
        254,
    )


# --- links that cannot be used (docs/reference/provider.md §2) ---


@pytest.mark.parametrize("path", ["/enroll/", "/portal/"])
def test_an_unknown_link_is_not_valid(browser: httpx.Client, path: str) -> None:
    token = "q7Vn2Lx9Tp4Kw8Zr1Mb6Hc3Yd5Jf0Ns-Ga_Ue7Wo2Pi"
    assert_page(browser.get(path + token), 404, NOT_VALID)
    posted = "/enroll/" + token if path == "/enroll/" else f"/portal/{token}/apply"
    assert_page(browser.post(posted, data={**VALID_APPLICATION, "csrf_token": "x"}), 404, NOT_VALID)


def test_a_link_of_the_other_kind_is_not_valid(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    enrollment = link_path(api, profile["id"], "enrollment")
    portal = link_path(api, profile["id"], "portal")
    assert_page(browser.get(enrollment.replace("/enroll/", "/portal/")), 404, NOT_VALID)
    assert_page(browser.get(portal.replace("/portal/", "/enroll/")), 404, NOT_VALID)


def test_an_expired_link_is_gone(api: httpx.Client, browser: httpx.Client, database: Database) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "enrollment")
    token = path.rsplit("/", 1)[1]
    past = utc_now() - timedelta(seconds=1)
    database.run(
        lambda c: c.execute(update(link).where(link.c.token_sha256 == hash_token(token)).values(expires_at=past)),
        write=True,
    )
    assert_page(browser.get(path), 410, SPENT)
    assert_page(browser.post(path, data=VALID_APPLICATION), 410, SPENT)
    assert r1(api, profile["id"])["trust_grants"] == {}


def test_deleting_the_profile_invalidates_its_links(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    enrollment = link_path(api, profile["id"], "enrollment")
    portal = link_path(api, profile["id"], "portal")
    assert (
        api.delete(f"/v1/user_profiles/{profile['id']}", headers={"anthropic-version": "2023-06-01"}).status_code == 200
    )
    assert_page(browser.get(enrollment), 404, NOT_VALID)
    assert_page(browser.get(portal), 404, NOT_VALID)


def test_other_links_of_the_profile_stay_independent(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    used, spare = link_path(api, profile["id"], "portal"), link_path(api, profile["id"], "portal")
    submit(browser, used + "/apply", {**VALID_APPLICATION, "program": "cyber"})
    assert_page(browser.get(used), 410, SPENT)
    assert_page(browser.get(spare), 200, "Under review")


# --- CSRF ---


@pytest.mark.parametrize("kind", ["enrollment", "apply", "verify"])
@pytest.mark.parametrize("csrf", ["missing", "wrong", "other-link", "non-ascii"])
def test_a_form_without_its_token_is_refused(
    api: httpx.Client, admin: httpx.Client, browser: httpx.Client, kind: str, csrf: str
) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"])
    page_path = link_path(api, profile["id"], "enrollment" if kind == "enrollment" else "portal")
    other = link_path(api, profile["id"], "enrollment" if kind == "enrollment" else "portal")
    post_path = page_path if kind == "enrollment" else f"{page_path}/{kind}"
    fields: dict[str, Any] = {**(VALID_IDENTITY if kind == "verify" else VALID_APPLICATION), "program": "cyber"}
    token = {"wrong": "0" * 64, "other-link": csrf_of(browser.get(other)), "non-ascii": "é" * 64}.get(csrf)
    if token is not None:
        fields["csrf_token"] = token
    before = ga(api, profile["id"])
    refused = browser.post(post_path, data=fields)
    assert_page(refused, 403, "This form has expired")
    assert ga(api, profile["id"]) == before
    assert browser.get(page_path).status_code == 200  # not consumed


# --- verification portal (docs/reference/provider.md §4) ---


def test_the_portal_shows_both_programs_and_good_standing(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    page = browser.get(link_path(api, profile["id"], "portal"))
    assert_page(page, 200, "Cyber Verification Program", "Enterprise Frontier Safeguards", "Ada Example")
    assert_page(page, 200, "There are no restrictions on your account.")
    assert_private(page, profile)
    assert page.text.count('name="program"') == 2
    assert 'name="requested_features"' in page.text and "/verify" not in page.text


def test_applying_to_efs_through_the_portal(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "portal")
    fields = {**VALID_APPLICATION, "program": "efs", "requested_features": ["storage", "cmek"]}
    assert_page(submit(browser, path + "/apply", fields), 200, THANKS)
    assert r1(api, profile["id"])["trust_grants"] == {"efs": {"status": "pending"}}
    features = dict.fromkeys(("data_retention_exemption", "cmek", "storage"), {"status": "inactive"})
    assert ga(api, profile["id"])["programs"] == {"cyber": None, "efs": {"status": "pending", "features": features}}
    [enrollment] = enrollments(admin, profile["id"])
    assert (enrollment["program"], enrollment["source"], enrollment["requested"]) == (
        "efs",
        "portal",
        ["cmek", "storage"],
    )
    assert_page(browser.get(path), 410, SPENT)
    again = browser.get(link_path(api, profile["id"], "portal"))
    assert_page(again, 200, "Under review")
    assert again.text.count('name="program"') == 1  # only cyber is still open to apply


def test_applying_to_cyber_through_the_portal(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "portal")
    assert_page(submit(browser, path + "/apply", {**VALID_APPLICATION, "program": "cyber"}), 200, THANKS)
    [enrollment] = enrollments(admin, profile["id"])
    assert (enrollment["program"], enrollment["source"]) == ("cyber", "portal")
    assert ga(api, profile["id"])["programs"]["cyber"]["status"] == "pending"


def test_a_portal_application_that_no_longer_applies_is_a_conflict(api: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    stale = link_path(api, profile["id"], "portal")
    csrf = csrf_of(browser.get(stale))
    submit(browser, link_path(api, profile["id"], "portal") + "/apply", {**VALID_APPLICATION, "program": "cyber"})
    before = ga(api, profile["id"])
    conflict = submit(browser, stale + "/apply", {**VALID_APPLICATION, "program": "cyber"}, csrf=csrf)
    assert_page(conflict, 409, "can’t be done right now")
    assert ga(api, profile["id"]) == before
    assert_page(browser.get(stale), 200, "Under review")  # not consumed


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({**VALID_APPLICATION, "program": "efs"}, 400, "Choose at least one feature."),
        ({**VALID_APPLICATION, "program": "cyber", "use_case": ""}, 400, "Describe how you will use the program."),
        ({**VALID_APPLICATION, "program": "other"}, 400, "Choose a program to apply to."),
        ({**VALID_APPLICATION}, 400, "Choose a program to apply to."),
    ],
)
def test_invalid_portal_applications(
    api: httpx.Client, browser: httpx.Client, fields: dict[str, Any], status: int, message: str
) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "portal")
    assert_page(submit(browser, path + "/apply", fields), status, message)
    assert r1(api, profile["id"])["trust_grants"] == {}
    assert browser.get(path).status_code == 200


def test_verifying_identity_through_the_portal(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    action = open_restriction(admin, profile["id"])
    restricted = ga(api, profile["id"])
    assert restricted["enforcement_status"] == "restricted"
    assert restricted["enforcement_actions"][0]["action"] == "verify"
    path = link_path(api, profile["id"], "portal")
    page = browser.get(path)
    assert_page(page, 200, "Your account is restricted because it appears to be used from a region we do not support.")
    assert_page(page, 200, "Confirm your identity", "You can lift it by confirming your identity below.")
    assert action["id"] not in page.text
    done = submit(browser, path + "/verify", VALID_IDENTITY)
    assert_page(done, 200, IDENTITY_THANKS)
    after = ga(api, profile["id"])
    assert after["enforcement_status"] == "pending"
    assert after["enforcement_actions"][0]["action"] is None
    assert after["updated_at"] == restricted["updated_at"]
    [check] = admin_view(admin, profile["id"])["identity_checks"]
    assert (check["status"], check["country"], check["document_type"], check["document_last4"]) == (
        "submitted",
        "GB",
        "passport",
        "4821",
    )
    assert_page(browser.get(path), 410, SPENT)
    reviewing = browser.get(link_path(api, profile["id"], "portal"))
    assert_page(reviewing, 200, "We received your identity details and are reviewing them.")
    assert "/verify" not in reviewing.text


def test_a_second_identity_check_is_a_conflict(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"])
    stale = link_path(api, profile["id"], "portal")
    csrf = csrf_of(browser.get(stale))
    submit(browser, link_path(api, profile["id"], "portal") + "/verify", VALID_IDENTITY)
    assert_page(submit(browser, stale + "/verify", VALID_IDENTITY, csrf=csrf), 409, "can’t be done right now")
    assert len(admin_view(admin, profile["id"])["identity_checks"]) == 1
    assert browser.get(stale).status_code == 200


def test_verifying_without_a_verifiable_restriction_is_a_conflict(
    api: httpx.Client, admin: httpx.Client, browser: httpx.Client
) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"], verifiable=False)
    path = link_path(api, profile["id"], "portal")
    page = browser.get(path)
    assert "/verify" not in page.text
    assert_page(submit(browser, path + "/verify", VALID_IDENTITY, csrf=csrf_of(page)), 409, "can’t be done right now")
    assert admin_view(admin, profile["id"])["identity_checks"] == []
    assert browser.get(path).status_code == 200


def test_an_account_compromise_keeps_the_profile_restricted_while_checking(
    api: httpx.Client, admin: httpx.Client, browser: httpx.Client
) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"], reason="account_compromise")
    page = browser.get(link_path(api, profile["id"], "portal"))
    assert_page(page, 200, "because the account may have been compromised")
    assert_page(
        submit(browser, str(page.url.path) + "/verify", VALID_IDENTITY, csrf=csrf_of(page)), 200, IDENTITY_THANKS
    )
    assert ga(api, profile["id"])["enforcement_status"] == "restricted"


def test_bans_and_end_dates_read_as_sentences(api: httpx.Client, admin: httpx.Client, browser: httpx.Client) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"], verifiable=False, reason="high_harm", expires_at="2031-03-04T05:06:07Z")
    ban = admin.post(
        f"/v1/admin/user_profiles/{profile['id']}/enforcement_actions", json={"type": "ban", "reason": "fraud_or_abuse"}
    )
    assert ban.status_code == 200
    page = browser.get(link_path(api, profile["id"], "portal"))
    assert_page(page, 200, "Your account is banned because we found signs of fraud or abuse.")
    assert_page(page, 200, "Your account is restricted because of activity with a high potential for harm.")
    assert_page(page, 200, "This restriction ends on 4 March 2031, 05:06 UTC.")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"full_name": ""}, "Enter your full name, as it appears on your document."),
        ({"country": "GBR"}, "Enter the two-letter code of the country that issued the document, for example GB."),
        ({"document_type": "visa"}, "Choose the type of document."),
        ({"document_last4": "12"}, "Enter the last 4 letters or digits of the document number."),
        ({"accept": ""}, "Confirm that the information is accurate."),
    ],
)
def test_invalid_identity_forms(
    api: httpx.Client, admin: httpx.Client, browser: httpx.Client, change: dict[str, str], message: str
) -> None:
    profile = create_profile(api)
    open_restriction(admin, profile["id"])
    path = link_path(api, profile["id"], "portal")
    page = submit(browser, path + "/verify", {**VALID_IDENTITY, **change})
    assert_page(page, 400, message, "Confirm your identity")
    assert '<details class="apply" open>' not in page.text  # the identity form is the one that failed
    assert admin_view(admin, profile["id"])["identity_checks"] == []
    assert_page(browser.get(path), 200, "Confirm your identity")


# --- headers, static file, body rules, never a 500 ---


def test_the_stylesheet_is_served_from_the_same_origin(browser: httpx.Client) -> None:
    css = browser.get("/static/uprof.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert ".error-summary" in css.text
    assert browser.get("/static/%2e%2e/pages/routes.py").status_code == 404
    assert browser.get("/static/../routes.py").status_code == 404


@pytest.mark.parametrize(
    ("content", "headers", "status", "message"),
    [
        (b"x" * 1_048_577, {"content-type": "application/x-www-form-urlencoded"}, 413, "1048576-byte limit"),
        (None, {"content-type": "application/x-www-form-urlencoded"}, 413, "1048576-byte limit"),  # chunked
        (b'{"use_case": "x"}', {"content-type": "application/json"}, 400, "application/x-www-form-urlencoded"),
        (b"--b\r\n\r\n--b--", {"content-type": "multipart/form-data; boundary=b"}, 400, "could not be read"),
        (b"use_case=x", {**FORM_TYPE, "content-encoding": "gzip"}, 400, "is not supported"),
        (b"use_case=a%00b", FORM_TYPE, 400, "character that is not allowed"),
        (b"&".join(b"f%d=1" % n for n in range(201)), FORM_TYPE, 400, "could not be read"),
    ],
)
def test_bodies_the_pages_refuse(
    api: httpx.Client, browser: httpx.Client, content: bytes | None, headers: dict[str, str], status: int, message: str
) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "enrollment")
    body: Any = content if content is not None else (b"use_case=" + b"x" * 10_000 for _ in range(110))
    assert_page(browser.post(path, content=body, headers=headers), status, message)
    assert browser.get(path).status_code == 200
    assert r1(api, profile["id"])["trust_grants"] == {}


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("GET", "/enroll/" + "x" * 5000, None),
        ("GET", "/enroll/%00%ff", None),
        ("GET", "/portal/%2F..%2F", None),
        ("POST", "/portal/abc/verify", b"\xff\xfe=\xff"),
        ("POST", "/enroll/abc", b"use_case=%ZZ&&=&accept"),
        ("PUT", "/enroll/abc", None),
        ("HEAD", "/portal/abc", None),
        ("GET", "/portal/abc/apply", None),
    ],
)
def test_odd_requests_never_fail_the_server(
    browser: httpx.Client, method: str, path: str, content: bytes | None
) -> None:
    response = browser.request(
        method, path, content=content, headers=FORM_TYPE if content else {}, follow_redirects=True
    )
    assert 400 <= response.status_code < 500, response.text
    assert_page(response, response.status_code)  # an HTML page, never the API's envelope


@pytest.mark.parametrize(
    "fields",
    [
        b"use_case=%ff%fe&requested_tiers=a&accept=1",  # not UTF-8: read as replacement characters
        b"use_case=\xff\xfe&requested_tiers=%ED%A0%80&accept=1",  # raw bytes, an encoded surrogate
        b"use_case=" + b"%F0%9F%98%80" * 2001 + b"&requested_tiers=b&accept=1",  # 2,001 characters, 8 KB
        b"csrf_token=1&use_case=x&requested_tiers=a&accept=1",  # a second, wrong token comes after the right one
    ],
)
def test_odd_bytes_in_a_valid_link_never_fail_the_server(
    api: httpx.Client, browser: httpx.Client, fields: bytes
) -> None:
    profile = create_profile(api)
    path = link_path(api, profile["id"], "enrollment")
    csrf = csrf_of(browser.get(path)).encode()
    response = browser.post(path, content=b"csrf_token=" + csrf + b"&" + fields, headers=FORM_TYPE)
    assert response.status_code in (200, 400), response.text
    assert_page(response, response.status_code)
    expected = {"cyber": {"status": "pending"}} if response.status_code == 200 else {}
    assert r1(api, profile["id"])["trust_grants"] == expected
