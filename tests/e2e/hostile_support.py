"""What the hostile-input tests share: raw requests, the error-envelope check, an organization with
two profiles, and the log of attacks tried that becomes artifacts/reliability/hostile.json."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from tests.e2e.conftest import Server
from tests.e2e.reliability_support import GA, Keys, new_keys
from uprof.db.unit_of_work import Database
from uprof.profiles.models import user_profile

REQUEST_ID = re.compile(r"req_[0-9A-Za-z]{24}")
R1 = {"anthropic-version": "2023-06-01", "anthropic-beta": "user-profiles-2026-03-24"}
ATTACKS: list[dict[str, Any]] = []  # what each test tried and got, for artifacts/reliability/hostile.json


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def envelope(answer: Answer | httpx.Response, status: int, error_type: str, message: str | None = None) -> None:
    """The error envelope of docs/reference/http.md §11 with `status`, and the request ID of the response header."""
    body = answer.body if isinstance(answer, Answer) else answer.content
    headers = {name.lower(): value for name, value in answer.headers.items()}
    got = answer.status_code if isinstance(answer, httpx.Response) else answer.status
    assert got == status, body[:300]
    assert headers.get("content-type") == "application/json", (headers, body[:300])
    parsed = json.loads(body)
    assert list(parsed) == ["type", "error", "request_id"]
    assert parsed["type"] == "error" and parsed["error"]["type"] == error_type
    if message is not None:
        assert parsed["error"]["message"] == message
    assert REQUEST_ID.fullmatch(parsed["request_id"]) and headers.get("request-id") == parsed["request_id"]


def noted(attack: str, answer: Answer | httpx.Response) -> None:
    status = answer.status if isinstance(answer, Answer) else answer.status_code
    body = answer.body if isinstance(answer, Answer) else answer.content
    try:
        summary = json.loads(body)["error"]["message"][:100]
    except (ValueError, KeyError, TypeError):
        summary = body[:100].decode(errors="replace")
    ATTACKS.append({"attack": attack, "status": status, "answer": summary})


def raw(server: Server, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> Answer:
    """One request with the request line exactly as given (no normalisation, no length limit)."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def healthy(server: Server) -> bool:
    return httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


@dataclass
class Organization:
    keys: Keys
    profiles: list[dict[str, Any]]

    def headers(self, admin: bool = False, base: dict[str, str] = GA) -> dict[str, str]:
        return {"x-api-key": self.keys.admin if admin else self.keys.standard, **base}


def new_organization(server: Server, database: Database, names: list[str]) -> Organization:
    keys = new_keys(database)
    created = []
    for name in names:
        response = httpx.post(
            f"{server.url}/v1/user_profiles",
            headers={"x-api-key": keys.standard, **GA},
            json={"name": name, "metadata": {"plan": "pro"}},
        )
        assert response.status_code == 200, response.text
        created.append(response.json())
    return Organization(keys, created)


def stored_profiles(database: Database, organization_id: str) -> list[dict[str, Any]]:
    query = select(user_profile).where(user_profile.c.organization_id == organization_id).order_by(user_profile.c.id)
    return database.run(lambda c: [dict(row) for row in c.execute(query).mappings()], write=False)
