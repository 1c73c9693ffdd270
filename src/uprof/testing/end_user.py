"""The end-user pages without a browser (docs/testing.md §2, docs/provider.md): each helper opens the
page behind a link, fills in its real form (CSRF token included) and submits it, as a browser would."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from uprof.testing.errors import PageError
from uprof.testing.operator import Operator

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FIELD_ERROR = re.compile(r'<p class="field-error"[^>]*>(.*?)</p>', re.S)
_MAIN = re.compile(r"<main[^>]*>(.*?)</main>", re.S)
_TAG = re.compile(r"<[^>]+>")


class EndUser:
    def __init__(self, base_url: str, operator: Operator) -> None:
        self._base_url = base_url
        self._operator = operator

    def enroll(
        self,
        url: str,
        *,
        tiers: Iterable[str] = ("a",),
        use_case: str = "testing",
        organization: str | None = None,
        contact_email: str | None = None,
    ) -> dict[str, Any]:
        """Apply through an enrollment link's form; returns the enrollment as the Admin API shows it."""
        form = _application(("requested_tiers", tiers), use_case, organization, contact_email)
        return self._new(self._operator.enrollments, lambda: self._submit(url, url, form))

    def apply(self, portal_url: str, program: str, **fields: Any) -> dict[str, Any]:
        """Apply to `program` (cyber: `tiers`; efs: `features`) through the portal; returns the enrollment."""
        choices = ("requested_tiers", fields.pop("tiers", ("a",))) if program == "cyber" else None
        choices = choices or ("requested_features", fields.pop("features", ("storage",)))
        form = _application(
            choices,
            fields.pop("use_case", "testing"),
            fields.pop("organization", None),
            fields.pop("contact_email", None),
        )
        form.append(("program", program))
        form.extend((name, str(value)) for name, value in fields.items())
        action = portal_url.rstrip("/") + "/apply"
        return self._new(self._operator.enrollments, lambda: self._submit(portal_url, action, form))

    def verify_identity(
        self,
        portal_url: str,
        *,
        full_name: str = "Test User",
        country: str = "GB",
        document_type: str = "passport",
        document_last4: str = "1234",
    ) -> dict[str, Any]:
        """Submit the portal's identity form; returns the identity check as the Admin API shows it."""
        form = [
            ("full_name", full_name),
            ("country", country),
            ("document_type", document_type),
            ("document_last4", document_last4),
            ("accept", "yes"),
        ]
        action = portal_url.rstrip("/") + "/verify"
        return self._new(self._operator.identity_checks, lambda: self._submit(portal_url, action, form))

    def _new(self, listing: Callable[[], list[dict[str, Any]]], submit: Callable[[], None]) -> dict[str, Any]:
        """What the submission added to `listing` (the newest such object of the organization)."""
        before = {item["id"] for item in listing()}
        submit()
        made = [item for item in listing() if item["id"] not in before]
        if not made:
            raise PageError(200, ["the page accepted the form but nothing new was recorded"])
        return made[-1]

    def _submit(self, page_url: str, action: str, form: list[tuple[str, str]]) -> None:
        with httpx.Client(base_url=self._base_url, follow_redirects=True, timeout=10) as browser:
            page = browser.get(_path(page_url))
            token = _CSRF.search(page.text)
            if page.status_code != 200 or token is None:
                raise PageError(page.status_code, _messages(page.text) or ["the page shows no form"])
            fields: dict[str, list[str]] = {"csrf_token": [html.unescape(token.group(1))]}
            for name, value in form:
                fields.setdefault(name, []).append(value)
            answer = browser.post(_path(action), data=fields)
            if answer.status_code != 200 or "<form" in answer.text:
                raise PageError(answer.status_code, _messages(answer.text))


def _application(
    choices: tuple[str, Iterable[str]], use_case: str, organization: str | None, contact_email: str | None
) -> list[tuple[str, str]]:
    field, values = choices
    form = [(field, value) for value in values]
    form += [("use_case", use_case), ("organization", organization or ""), ("contact_email", contact_email or "")]
    form.append(("accept", "yes"))
    return form


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _messages(page: str) -> list[str]:
    """The field errors a page shows, or else the text of its main part."""
    errors = [_text(found) for found in _FIELD_ERROR.findall(page)]
    if errors:
        return errors
    main = _MAIN.search(page)
    text = _text(main.group(1)) if main else _text(page)
    return [text] if text else []


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split()).replace("Error: ", "", 1)
