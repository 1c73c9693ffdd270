"""The served OpenAPI document describes what the server really does: every route, and the real
responses of every profile operation (success and error) validate against its schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.e2e.conftest import Server, Tenant
from tests.secret_keys import TEST_SECRET_KEY
from uprof.app import create_app
from uprof.config import Settings
from uprof.http.endpoint import ApiEndpoint

REVISION_HEADERS = {
    "2026-03-24": {"anthropic-beta": "user-profiles-2026-03-24"},
    "2026-08-18": {"anthropic-beta": "user-profiles-2026-08-18"},
    "2026-09-04": {"anthropic-beta": "user-profiles-2026-09-04"},
    "ga": {},
}


def _document(server: Server, revision: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/openapi.json", params={"revision": revision})
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    assert document["openapi"] == "3.1.0"
    return document


def _validate(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    """Check the response against what the document says this operation returns with that status."""
    operation = document["paths"][path][method]
    assert str(response.status_code) in operation["responses"], (path, method, response.status_code)
    if response.status_code == 200:
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    else:
        schema = document["components"]["schemas"]["Error"]
    Draft202012Validator(schema).validate(response.json())


def test_unknown_revision_is_a_clean_400(server: Server) -> None:
    response = httpx.get(f"{server.url}/openapi.json", params={"revision": "2020-01-01"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "revision: must be one of 2026-03-24, 2026-08-18, 2026-09-04, ga"


def test_default_revision_is_ga(server: Server) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    profile = document["paths"]["/v1/user_profiles/{user_profile_id}"]["get"]["responses"]["200"]
    assert "programs" in profile["content"]["application/json"]["schema"]["properties"]


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_every_api_route_and_method_is_documented(server: Server, revision: str) -> None:
    document = _document(server, revision)
    app = create_app(Settings(database_url=server.database_url, secret_key=TEST_SECRET_KEY))
    app.state.services.database.engine.dispose()
    served = {
        (route.path, method.lower())
        for route in app.router.routes
        if isinstance(getattr(route, "app", None), ApiEndpoint)
        for method in route.app.operations  # type: ignore[attr-defined]
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == documented
    assert ("/v1/user_profiles", "post") in served


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_real_responses_match_the_document(server: Server, tenant: Tenant, revision: str) -> None:
    document = _document(server, revision)
    headers = {"x-api-key": tenant.key, "anthropic-version": "2023-06-01", **REVISION_HEADERS[revision]}
    profile_path = "/v1/user_profiles/{user_profile_id}"
    with httpx.Client(base_url=server.url, headers=headers) as http:
        created = http.post("/v1/user_profiles", json={"name": "Ada", "metadata": {"plan": "pro"}})
        _validate(document, "/v1/user_profiles", "post", created)
        profile_id = created.json()["id"]
        path = f"/v1/user_profiles/{profile_id}"
        _validate(document, profile_path, "get", http.get(path))
        _validate(document, profile_path, "post", http.post(path, json={"metadata": {"plan": ""}}))
        _validate(document, "/v1/user_profiles", "get", http.get("/v1/user_profiles", params={"limit": 1}))
        _validate(document, "/v1/user_profiles", "get", http.get("/v1/user_profiles", params={"limit": 0}))
        enrollment = http.post(f"{path}/enrollment_url")
        assert enrollment.status_code == (400 if revision == "ga" else 200)
        _validate(document, profile_path + "/enrollment_url", "post", enrollment)
        action = http.post(f"{path}/action_urls", json={"action": {"type": "enroll_end_user"}})
        _validate(document, profile_path + "/action_urls", "post", action)
        _validate(document, profile_path, "post", http.post(path, json={"nope": 1}))
        _validate(document, profile_path, "delete", http.delete(path))
        _validate(document, profile_path, "get", http.get(path))
        _validate(document, "/v1/user_profiles", "post", http.put("/v1/user_profiles"))
