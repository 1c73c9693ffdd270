"""Helpers for the end-user page and console tests: an organization with both kinds of key, profiles,
links, the forms as a browser posts them, and the checks every HTML response must pass."""

from __future__ import annotations

import html
import re
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection

from tests.e2e.conftest import Server
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
R1 = {"anthropic-version": "2023-06-01", "anthropic-beta": "user-profiles-2026-03-24"}
GA = {"anthropic-version": "2023-06-01"}


class Page(Protocol):
    """A response as the checks below read it: httpx's, or that of Starlette's in-process TestClient."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


VALID_APPLICATION = {
    "requested_tiers": ["a", "c"],
    "use_case": "Red-team exercises for our banking clients",
    "organization": "Example Security Ltd",
    "contact_email": "ada@example.com",
    "accept": "yes",
}
VALID_IDENTITY = {
    "full_name": "Ada Example",
    "country": "gb",
    "document_type": "passport",
    "document_last4": "4821",
    "accept": "yes",
}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
# Built once: loading the CA bundle for every client would cost each test tenths of a second.
TLS = ssl.create_default_context()


def http_client(server: Server, **options: Any) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, verify=TLS, **options)


@dataclass
class Org:
    """A fresh organization with an admin key (Admin API, console) and a standard key (profile API)."""

    organization_id: str
    admin_key: str
    admin_key_id: str
    key: str

    def api(self, server: Server, *, admin: bool = False) -> httpx.Client:
        key = self.admin_key if admin else self.key
        return http_client(server, headers={"x-api-key": key})


def new_org(database: Database) -> Org:
    name = f"pages-{uuid.uuid4()}"

    def work(connection: Connection) -> Org:
        admin = accounts.create_key(connection, name="operator", admin=True, organization_name=name)
        standard = accounts.create_key(connection, name="platform", organization_name=name)
        return Org(accounts.organization_for(connection, name), admin.key, admin.id, standard.key)

    return database.run(work, write=True)


def create_profile(api: httpx.Client, name: str | None = "Ada Example") -> dict[str, Any]:
    """A profile (R1) with an external ID and metadata that no end-user page may show."""
    body = {"name": name, "external_id": f"ext-{uuid.uuid4().hex}", "metadata": {"crm": f"meta-{uuid.uuid4().hex}"}}
    response = api.post("/v1/user_profiles", json=body, headers=R1)
    assert response.status_code == 200, response.text
    return dict(response.json())


def link_path(api: httpx.Client, profile_id: str, kind: str) -> str:
    """A new enrollment or portal link, as a path on the server."""
    if kind == "enrollment":
        response = api.post(f"/v1/user_profiles/{profile_id}/enrollment_url", headers=R1)
    else:
        body = {"action": {"type": "enroll_end_user"}}
        response = api.post(f"/v1/user_profiles/{profile_id}/action_urls", json=body, headers=R1)
    assert response.status_code == 200, response.text
    path: str = urlsplit(response.json()["url"]).path
    return path


def ga(api: httpx.Client, profile_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/user_profiles/{profile_id}", headers=GA)
    assert response.status_code == 200, response.text
    return dict(response.json())


def r1(api: httpx.Client, profile_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/user_profiles/{profile_id}", headers=R1)
    assert response.status_code == 200, response.text
    return dict(response.json())


def admin_view(admin: httpx.Client, profile_id: str) -> dict[str, Any]:
    response = admin.get(f"/v1/admin/user_profiles/{profile_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def csrf_of(page: Page) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def text_of(page: Page) -> str:
    """The page's text, tags removed and entities decoded, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", page.text)
    return " ".join(html.unescape(without_tags).split())


def assert_page(response: Page, status: int, *texts: str) -> None:
    """An HTML page with the given status, every security header, and each of `texts`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CSP
    assert "<script" not in response.text and "style=" not in response.text
    shown = text_of(response)
    for text in texts:
        assert text in shown, f"{text!r} not in page: {shown}"


def assert_private(response: httpx.Response, profile: dict[str, Any]) -> None:
    """End-user pages never show the profile ID, its external ID or metadata."""
    assert profile["id"] not in response.text
    assert profile["external_id"] not in response.text
    for value in profile["metadata"].values():
        assert value not in response.text
