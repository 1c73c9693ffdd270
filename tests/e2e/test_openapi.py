"""The served OpenAPI document describes what the server really does: every route, the headers each
operation needs, the statuses it can answer, and the real responses of the profile, webhook endpoint
and Admin API operations (success and error) validate against its schemas.

Requests "built from the document" carry only what the document declares: the required header
parameters with their `default` values, a body made of the required fields of the request schema, and
a key in the declared security header.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Route

from tests.e2e.conftest import Server, Tenant
from tests.secret_keys import TEST_SECRET_KEY
from uprof.accounts import service as accounts
from uprof.app import create_app
from uprof.config import Settings
from uprof.db.unit_of_work import Database
from uprof.http.endpoint import SUPPORTED_VERSIONS, ApiEndpoint
from uprof.http.revision_choice import DATA_CONTROLS_BETA, WEBHOOKS_BETA
from uprof.openapi.data_controls import CONFLICTS as DATA_CONTROL_CONFLICTS
from uprof.provider import service as provider
from uprof.timestamps import format_timestamp, utc_now

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


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of `schema` (formats checked) whose `#/components/…` references resolve in `document`."""
    return Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _validate(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    """Check the response against what the document says this operation returns with that status."""
    operation = document["paths"][path][method]
    assert str(response.status_code) in operation["responses"], (path, method, response.status_code)
    if response.status_code == 200:
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    else:
        schema = document["components"]["schemas"]["Error"]
    _validator(document, schema).validate(response.json())


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
    app.state.runtime.database.engine.dispose()
    served = {
        (route.path, method.lower())
        for route in app.router.routes
        if isinstance(route, Route) and isinstance(route.app, ApiEndpoint)
        for method in route.app.operations
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
        # 405 answers a method the path does not have, so no operation lists it.
        refused = http.put("/v1/user_profiles")
        assert refused.status_code == 405
        Draft202012Validator(document["components"]["schemas"]["Error"]).validate(refused.json())


# --- webhook endpoint management and the Admin API ---

HOOKS = "/v1/organizations/webhooks"
HOOK = HOOKS + "/{webhook_endpoint_id}"
ADMIN_PROFILE = "/v1/admin/user_profiles/{user_profile_id}"
# A loopback address with nothing listening: deliveries fail at once and leave attempts in the log.
UNREACHABLE = "http://127.0.0.1:9/hooks/uprof"
PROFILE_EVENTS = [
    "user_profile.program_status_updated",
    "user_profile.enforcement_action_opened",
    "user_profile.enforcement_action_resolved",
]
IDENTITY = {"full_name": "Ada Example", "country": "GB", "document_type": "passport", "document_last4": "4821"}


class Caller:
    """Calls one document's operations with an admin key and checks each answer against that document."""

    def __init__(self, http: httpx.Client, document: dict[str, Any]) -> None:
        self.http, self.document = http, document

    def call(self, method: str, path: str, values: dict[str, str] | None = None, status: int = 200, **sent: Any) -> Any:
        """`method` on the document's `path` (its `{…}` filled from `values`): the answer has `status`
        and matches what the document lists for it."""
        headers = {"anthropic-beta": WEBHOOKS_BETA} if path.startswith(HOOKS) else {}
        response = self.http.request(method, path.format(**(values or {})), headers=headers, **sent)
        assert response.status_code == status, (method, path, response.text)
        _check_documented(self.document, path, method.lower(), response)
        return response.json()


def _apply(database: Database, organization_id: str, profile_id: str, program: str, requested: list[str]) -> str:
    """The end user applies, as the enrollment page does."""
    return database.run(
        lambda c: provider.submit_application(
            c,
            organization_id,
            profile_id,
            program=program,
            source="enrollment_url",
            requested=requested,
            use_case="Red-team exercises",
            applicant_organization=None,
            contact_email="ada@example.com",
            now=utc_now(),
        ),
        write=True,
    )


def _submit_check(database: Database, organization_id: str, profile_id: str) -> str:
    """The end user submits an identity check, as the portal does."""
    return database.run(
        lambda c: provider.submit_identity_check(c, organization_id, profile_id, dict(IDENTITY), utc_now()),
        write=True,
    )


def _webhook_endpoints(api: Caller) -> str:
    """Every endpoint management operation, success and error answers; the ID of a live endpoint."""
    body = {"url": UNREACHABLE, "enabled_events": PROFILE_EVENTS, "name": "openapi"}
    created = api.call("POST", HOOKS, json=body)
    assert created["signing_secret"].startswith("whsec_")
    endpoint = {"webhook_endpoint_id": created["id"]}
    spare = api.call("POST", HOOKS, json={"url": "https://hooks.example.com/x", "enabled_events": PROFILE_EVENTS[:1]})
    listed = api.call("GET", HOOKS, params={"limit": 1})
    assert listed["has_more"] is True
    assert api.call("GET", HOOKS, params={"after_id": created["id"]})["first_id"] is None  # empty page
    assert api.call("GET", HOOK, endpoint)["disabled_reason"] == ""
    api.call("POST", HOOK, endpoint, json={"description": "drift check", "enabled_events": []})
    api.call("POST", HOOK + "/regenerate_signing_secret", endpoint, json={})
    api.call("POST", HOOK, endpoint, status=400, json={"nope": 1})
    api.call("POST", HOOKS, status=400, json={"url": "ftp://example.com", "enabled_events": PROFILE_EVENTS})
    deleted = {"webhook_endpoint_id": spare["id"]}
    assert api.call("DELETE", HOOK, deleted) == {"id": spare["id"], "type": "webhook_endpoint_deleted"}
    api.call("GET", HOOK, deleted, status=404)
    return str(created["id"])


def _admin_api(api: Caller, database: Database, organization_id: str, profile_id: str) -> None:
    """The Admin API's operations on one profile, each with an object to act on."""
    profile = {"user_profile_id": profile_id}
    cyber = {"enrollment_id": _apply(database, organization_id, profile_id, "cyber", ["a", "c"])}
    efs = {"enrollment_id": _apply(database, organization_id, profile_id, "efs", ["cmek"])}
    assert len(api.call("GET", "/v1/admin/enrollments", params={"status": "pending"})["data"]) == 2
    api.call("GET", "/v1/admin/enrollments/{enrollment_id}", cyber)
    approval = {"tiers": ["a"], "requirements": {"human_review": False}, "note": "ok"}
    api.call("POST", "/v1/admin/enrollments/{enrollment_id}/approve", cyber, json=approval)
    api.call("POST", "/v1/admin/enrollments/{enrollment_id}/reject", efs, json={"note": None})
    api.call("POST", "/v1/admin/enrollments/{enrollment_id}/reject", efs, status=409, json={})
    programs = ADMIN_PROFILE + "/programs/{program}"
    api.call("POST", programs, {**profile, "program": "efs"}, json={"status": "active", "features": {"cmek": "active"}})
    api.call("DELETE", programs, {**profile, "program": "efs"})
    api.call("GET", "/v1/admin/user_profiles", params={"q": profile_id})

    actions = ADMIN_PROFILE + "/enforcement_actions"
    expires = format_timestamp(utc_now() + timedelta(days=1))
    restriction = {"type": "restriction", "reason": "unsupported_region", "verifiable": True, "expires_at": expires}
    opened = api.call("POST", actions, profile, json=restriction)
    assert opened["action"] == "verify"
    check = {"check_id": _submit_check(database, organization_id, profile_id)}
    api.call("GET", "/v1/admin/identity_checks", params={"status": "submitted"})
    api.call("POST", "/v1/admin/identity_checks/{check_id}/approve", check, json={"note": "matches"})
    assert api.call("GET", "/v1/admin/enforcement_actions/{action_id}", {"action_id": opened["id"]})["resolution"]
    api.call("POST", actions, profile, json={"type": "restriction", "reason": "high_harm", "verifiable": True})
    check = {"check_id": _submit_check(database, organization_id, profile_id)}
    api.call("POST", "/v1/admin/identity_checks/{check_id}/reject", check, json={"allow_retry": False})
    ban = {"action_id": api.call("POST", actions, profile, json={"type": "ban", "reason": "fraud_or_abuse"})["id"]}
    api.call("POST", "/v1/admin/enforcement_actions/{action_id}/resolve", ban, json={"note": "appeal upheld"})
    api.call("POST", "/v1/admin/enforcement_actions/{action_id}/resolve", ban, status=409)
    api.call("GET", actions, profile, params={"state": "resolved"})
    api.call("POST", actions, profile, status=400, json={"type": "ban", "reason": "high_harm", "verifiable": True})
    view = api.call("GET", ADMIN_PROFILE, profile)
    assert [len(view[name]) for name in ("enrollments", "enforcement_actions", "identity_checks")] == [2, 3, 2]


def _delivery_log(api: Caller, endpoint_id: str) -> None:
    """The deliveries the Admin API calls queued: listed, read with their attempts, retried."""
    endpoint = {"webhook_endpoint_id": endpoint_id}
    deliveries = api.call("GET", "/v1/admin/webhook_deliveries", params={"endpoint_id": endpoint_id})["data"]
    assert len(deliveries) >= 3
    delivery = {"delivery_id": deliveries[-1]["id"]}
    api.call("GET", "/v1/admin/webhook_deliveries/{delivery_id}", delivery)
    # Disabling cancels what is pending; once enabled again a cancelled delivery can be retried.
    assert api.call("POST", HOOK, endpoint, json={"state": "disabled"})["state"] == "disabled"
    api.call("POST", HOOK, endpoint, json={"state": "enabled"})
    cancelled = api.call("GET", "/v1/admin/webhook_deliveries", params={"status": "cancelled"})["data"]
    retried = {"delivery_id": cancelled[0]["id"]}
    assert api.call("POST", "/v1/admin/webhook_deliveries/{delivery_id}/retry", retried, json={})["status"] == "pending"
    api.call("POST", "/v1/admin/webhook_deliveries/{delivery_id}/retry", retried, status=409, json={})
    api.call("GET", "/v1/admin/webhook_deliveries/{delivery_id}", {"delivery_id": "whdel_missing"}, status=404)
    api.call("DELETE", HOOK, endpoint)


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_webhook_and_admin_responses_match_the_document(
    server: Server, database: Database, admin_key: str, revision: str
) -> None:
    """Real answers of the webhook endpoint and Admin API operations, on objects that exist, match the
    schemas of every revision's document (those operations have the same shapes in each)."""
    document = _document(server, revision)
    headers = {"x-api-key": admin_key, "anthropic-version": "2023-06-01", **REVISION_HEADERS[revision]}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
        api = Caller(http, document)
        endpoint_id = _webhook_endpoints(api)
        created = http.post("/v1/user_profiles", json={"name": "Ada"})
        organization_id = created.headers["anthropic-organization-id"]
        _admin_api(api, database, organization_id, created.json()["id"])
        _delivery_log(api, endpoint_id)


# --- requests built from the document alone ---


def _resolve(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """`item`, or what its local `$ref` points at."""
    if "$ref" not in item:
        return item
    target: Any = document
    for part in item["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in document["paths"].items() for method, operation in item.items()]


def _required_headers(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, str]:
    """Each required header parameter with its `default`: what a generated client sends."""
    headers = {}
    for reference in operation["parameters"]:
        parameter = _resolve(document, reference)
        if parameter["in"] == "header" and parameter["required"]:
            assert parameter["schema"]["default"] in parameter["schema"]["enum"], parameter
            headers[parameter["name"]] = parameter["schema"]["default"]
    return headers


def _minimal(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The smallest instance of a request schema: its required members, each at its fixed value, its
    first allowed value or its first example; the first alternative of an `anyOf`."""
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        return _minimal(document, schema["anyOf"][0])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "examples" in schema:
        return schema["examples"][0]
    if schema.get("type") == "array":
        return [_minimal(document, schema["items"])] * schema.get("minItems", 0)
    assert schema.get("type") == "object", schema
    return {name: _minimal(document, schema["properties"][name]) for name in schema.get("required", [])}


def _request(
    http: httpx.Client, document: dict[str, Any], path: str, method: str, key: str, path_values: dict[str, str]
) -> httpx.Request:
    operation = document["paths"][path][method]
    url = path.format(**path_values)
    key_header = document["components"]["securitySchemes"]["apiKey"]["name"]
    headers = {key_header: key, **_required_headers(document, operation)}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    content = None if body is None else _minimal(document, body)
    return http.build_request(method.upper(), url, headers=headers, json=content)


def _check_documented(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    """The status is listed; the body and the required response headers match what is listed for it."""
    listed = document["paths"][path][method]["responses"]
    assert str(response.status_code) in listed, (path, method, response.status_code, response.text)
    documented = _resolve(document, listed[str(response.status_code)])
    _validator(document, documented["content"]["application/json"]["schema"]).validate(response.json())
    for name, reference in documented["headers"].items():
        header = _resolve(document, reference)
        if header.get("required"):
            assert name in response.headers, (path, method, name)
        if name in response.headers:
            Draft202012Validator(header["schema"]).validate(response.headers[name])


@pytest.fixture
def admin_key(database: Database) -> str:
    """An admin key of a fresh organization: accepted on every route."""
    name = f"openapi-{uuid.uuid4()}"
    return database.run(
        lambda c: accounts.create_key(c, name="openapi", admin=True, organization_name=name).key, write=True
    )


def _reachable(path: str, method: str) -> bool:
    """Operations a document-built request can complete: the profile operations (on a real profile)
    and the reads that need no other object. Admin writes and webhook endpoint operations act on objects
    whose IDs the document cannot supply (test_webhook_and_admin_responses_match_the_document covers them)."""
    names = {part for part in path.split("/") if part.startswith("{")}
    return names <= {"{user_profile_id}"} and (path.startswith("/v1/user_profiles") or method == "get")


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_requests_built_from_the_document_get_the_documented_answer(
    server: Server, admin_key: str, revision: str
) -> None:
    """A client generated from a revision's document gets the status and shapes that document lists."""
    document = _document(server, revision)
    create = ("/v1/user_profiles", "post")
    tried = 0
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for path, method, operation in _operations(document):
            if not _reachable(path, method):
                continue
            created = http.send(_request(http, document, *create, admin_key, {}))
            _check_documented(document, *create, created)
            profile = {"user_profile_id": created.json()["id"]}
            response = http.send(_request(http, document, path, method, admin_key, profile))
            _check_documented(document, path, method, response)
            expected = 200 if "200" in operation["responses"] else 400  # the GA enrollment URL: 400 only
            assert response.status_code == expected, (path, method, response.text)
            tried += 1
    assert tried == 18  # 14, and the data controls (read, update, the operator's read) and the External Key list


@pytest.mark.parametrize("revision", [revision for revision in REVISION_HEADERS if revision != "ga"])
def test_the_revision_header_is_what_makes_a_beta_document_true(server: Server, tenant: Tenant, revision: str) -> None:
    """The beta documents declare `anthropic-beta` required: without it the server answers in GA
    shapes, which that document's schema refuses."""
    document = _document(server, revision)
    path, method = "/v1/user_profiles/{user_profile_id}", "get"
    with httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.send(_request(http, document, "/v1/user_profiles", "post", tenant.key, {}))
        request = _request(http, document, path, method, tenant.key, {"user_profile_id": created.json()["id"]})
        assert request.headers["anthropic-beta"] == REVISION_HEADERS[revision]["anthropic-beta"]
        _check_documented(document, path, method, http.send(request))
        del request.headers["anthropic-beta"]
        without = http.send(request)
    assert without.status_code == 200
    assert "programs" in without.json()  # GA
    schema = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    assert not Draft202012Validator(schema).is_valid(without.json())


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_a_request_without_a_required_header_gets_a_documented_error(
    server: Server, admin_key: str, revision: str
) -> None:
    """Every header an operation declares required is one the server refuses the request without
    (the revision header of the beta documents: see the test above), and an unknown workspace in the
    optional `anthropic-workspace-id` is a documented 404. The header checks come before any lookup,
    so the path parameters need not name real objects."""
    document = _document(server, revision)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for path, method, _ in _operations(document):
            values = {name[1:-1]: "missing" for name in path.split("/") if name.startswith("{")}
            request = _request(http, document, path, method, admin_key, values)
            for name in _required_headers(document, document["paths"][path][method]):
                if name == "anthropic-beta" and request.headers[name].startswith("user-profiles-"):
                    continue
                without = _request(http, document, path, method, admin_key, values)
                del without.headers[name]
                response = http.send(without)
                assert response.status_code == (404 if name == "anthropic-beta" else 400), (path, method, name)
                _check_documented(document, path, method, response)
            request.headers["anthropic-workspace-id"] = "wrkspc_unknown"
            response = http.send(request)
            assert response.status_code == 404, (path, method)
            _check_documented(document, path, method, response)


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_each_operation_declares_the_headers_and_statuses_of_its_route(server: Server, revision: str) -> None:
    """docs/reference/http.md §1, §4, §5, §12: the version header on every route (optional on the Admin API), the
    webhook beta on webhook routes, the revision's beta on profile routes of a beta document; 409 on
    the Admin API's state changes only; 405 nowhere; no 200 for the enrollment URL under GA."""
    document = _document(server, revision)
    revision_beta = REVISION_HEADERS[revision].get("anthropic-beta")
    conflicts = ("/approve", "/reject", "/resolve", "/retry")
    for path, method, operation in _operations(document):
        declared = {
            parameter["name"]: parameter
            for parameter in (_resolve(document, reference) for reference in operation["parameters"])
            if parameter["in"] == "header"
        }
        version = declared["anthropic-version"]
        optional = path.startswith("/v1/admin/")
        assert version["required"] is not optional
        # An empty header counts as absent (docs/reference/http.md §4): allowed where the header is optional.
        assert version["schema"]["enum"] == list(SUPPORTED_VERSIONS) + ([""] if optional else [])
        assert declared["anthropic-workspace-id"]["required"] is False
        beta = declared.get("anthropic-beta", {}).get("schema", {}).get("enum")
        if path.startswith("/v1/organizations/webhooks"):
            assert beta == [WEBHOOKS_BETA]
        elif path.endswith("/providers/google/data_controls"):
            assert beta == [DATA_CONTROLS_BETA]
        elif path.startswith("/v1/user_profiles") and revision_beta:
            assert beta == [revision_beta]
        else:
            assert beta is None
        statuses = set(operation["responses"])
        assert statuses - {"200", "409"} == {"400", "401", "403", "404", "413", "429", "500", "529"}
        admin_conflict = path.startswith("/v1/admin/") and path.endswith(conflicts)
        assert ("409" in statuses) == (admin_conflict or (path, method.upper()) in DATA_CONTROL_CONFLICTS), (
            path,
            method,
        )
        unavailable = revision == "ga" and path.endswith("/enrollment_url")
        assert ("200" in statuses) is not unavailable, (path, method)


def _references(node: Any) -> list[str]:
    """Every `$ref` value anywhere in `node`."""
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _references(value)]
    return []


@pytest.mark.parametrize("revision", list(REVISION_HEADERS))
def test_every_operation_documents_its_shapes(server: Server, revision: str) -> None:
    """No request body or 200 answer is left as a bare `{"type": "object"}`; every schema is valid and
    every `$ref` resolves."""
    document = _document(server, revision)
    for path, method, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema")
        for schema in (body, ok):
            assert schema is None or _resolve(document, schema) != {"type": "object"}, (path, method)
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for reference in _references(document):
        assert _resolve(document, {"$ref": reference}), reference


def _choices(schema: dict[str, Any]) -> list[Any]:
    """Every value a closed query parameter schema allows (enums, arrays of enums, bounded integers)."""
    if "enum" in schema:
        return list(schema["enum"])
    if schema.get("type") == "array" and "enum" in schema["items"]:
        return list(schema["items"]["enum"])
    if schema.get("type") == "integer":
        return [schema["minimum"], schema["default"], schema["maximum"]]
    return []


def test_every_documented_value_of_every_query_parameter_is_accepted(server: Server, admin_key: str) -> None:
    """The GA document's query parameters are the server's: each enum value and bound gets a 200."""
    document = _document(server, "ga")
    tried = 0
    with httpx.Client(base_url=server.url, headers={"x-api-key": admin_key}, timeout=10) as http:
        for path, method, operation in _operations(document):
            if method != "get" or "{" in path:
                continue
            headers = _required_headers(document, operation)
            for parameter in map(lambda reference: _resolve(document, reference), operation["parameters"]):
                if parameter["in"] != "query":
                    continue
                for value in _choices(parameter["schema"]):
                    response = http.get(path, params={parameter["name"]: value}, headers=headers)
                    assert response.status_code == 200, (path, parameter["name"], value, response.text)
                    tried += 1
    assert tried >= 30  # profiles, webhook endpoints, deliveries, enrollments, searches, identity checks
