"""Assemble the OpenAPI 3.1 document from the app's own routes and the schemas of one revision."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from uprof import __version__
from uprof.http.endpoint import ApiEndpoint
from uprof.http.revision_choice import Revision
from uprof.openapi import admin, data_controls, headers, schemas, webhooks
from uprof.profiles import revisions as shapes
from uprof.profiles.schemas import ENFORCEMENT_STATUSES

# `?revision=` values and the revision each names: a beta revision's date (`2026-03-24`), and `ga`.
REVISIONS = {revision.date or "ga": revision for revision in Revision}
# What any `/v1/` operation can answer (docs/reference/http.md §1): 400 headers, query or body; 401 key; 403 key kind or
# workspace; 404 unknown workspace, webhook route without its beta, or unknown object; 413 declared
# length; 429 rate limit; 500; 529 database busy.
ERROR_STATUSES = ("400", "401", "403", "404", "413", "429", "500", "529")
PROFILE = "/v1/user_profiles/{user_profile_id}"
ENROLLMENT_URL = PROFILE + "/enrollment_url"
# The operations that check the state of their object: 409 is Admin API only (docs/reference/http.md §12;
# docs/reference/provider.md §5.5, §5.8, §5.9; docs/reference/webhooks.md §7).
CONFLICTS = frozenset(
    {
        ("/v1/admin/enrollments/{enrollment_id}/approve", "POST"),
        ("/v1/admin/enrollments/{enrollment_id}/reject", "POST"),
        ("/v1/admin/enforcement_actions/{action_id}/resolve", "POST"),
        ("/v1/admin/identity_checks/{check_id}/approve", "POST"),
        ("/v1/admin/identity_checks/{check_id}/reject", "POST"),
        ("/v1/admin/webhook_deliveries/{delivery_id}/retry", "POST"),
        *data_controls.CONFLICTS,
    }
)


def _list_parameters(revision: Revision) -> list[dict[str, Any]]:
    parameters = [
        schemas.query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."),
        schemas.query("order", {"enum": ["asc", "desc"], "default": "desc"}, "Sort direction."),
        schemas.query("order_by", {"enum": ["created_at", "name"], "default": "created_at"}, "Sort key."),
        schemas.query("page", {"type": "string"}, "The `next_page` value of the previous page."),
    ]
    if revision is Revision.GA:
        status = {"type": "array", "items": {"enum": list(ENFORCEMENT_STATUSES)}}
        described = "Keep profiles with these statuses (repeatable)."
        parameters.append(schemas.query("enforcement_status", status, described))
    return parameters


def _operations(revision: Revision) -> dict[tuple[str, str], dict[str, Any]]:
    """What is known of each operation beyond its path: summary, body, 200 schema. The profile
    operations have the shapes of `revision`; the webhook and Admin API ones are the same in every revision."""
    profile = schemas.profile(revision)
    body = schemas.profile_body(revision, creating=True)
    changes = schemas.profile_body(revision, creating=False)
    listing = schemas.page(profile)
    return {
        **webhooks.OPERATIONS,
        **admin.OPERATIONS,
        **data_controls.OPERATIONS,
        ("/v1/user_profiles", "POST"): {"summary": "Create a user profile", "body": body, "ok": profile},
        ("/v1/user_profiles", "GET"): {
            "summary": "List user profiles",
            "ok": listing,
            "parameters": _list_parameters(revision),
        },
        (PROFILE, "GET"): {"summary": "Retrieve a user profile", "ok": profile},
        (PROFILE, "POST"): {"summary": "Update a user profile", "body": changes, "ok": profile},
        (PROFILE, "DELETE"): {"summary": "Delete a user profile", "ok": schemas.DELETED},
        (ENROLLMENT_URL, "POST"): {
            "summary": "Create an enrollment URL",
            "body": schemas.closed({}),
            "ok": schemas.link("enrollment_url"),
        },
        (PROFILE + "/action_urls", "POST"): {
            "summary": "Create an action URL",
            "body": schemas.ACTION_URL_BODY,
            "ok": schemas.link("user_profile_action_url"),
        },
    }


def _statuses(path: str, method: str, revision: Revision) -> list[str]:
    """Every status the operation can answer (docs/reference/http.md §1 and §12). 405 belongs to no operation: it
    answers the methods a path does not have."""
    statuses = list(ERROR_STATUSES)
    if (path, method) in CONFLICTS:
        statuses.append("409")
    # docs/reference/profiles.md §1 lists the enrollment URL under GA as "400", not as absent: the route exists there
    # and always answers 400, so the GA document keeps the operation with its error statuses only.
    if (path, method) != (ENROLLMENT_URL, "POST") or revision in shapes.ENROLLMENT_URL_REVISIONS:
        statuses.append("200")
    return sorted(statuses)


def _response(status: str, ok: dict[str, Any]) -> dict[str, Any]:
    if status == "200":
        return headers.success(ok)
    name = {"409": "Conflict", "429": "RateLimited"}.get(status, "Error")
    return {"$ref": f"#/components/responses/{name}"}


def _operation(
    path: str, method: str, endpoint: ApiEndpoint, revision: Revision, known: dict[str, Any]
) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in _path_parameters(path)
    ]
    parameters += headers.parameters(revision, endpoint.rules) + known.get("parameters", [])
    ok = known.get("ok", {"type": "object"})
    statuses = _statuses(path, method, revision)
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": known.get("summary", f"{method} {path}"),
        "parameters": parameters,
        "responses": {status: _response(status, ok) for status in statuses},
    }
    if "200" not in statuses:
        operation["description"] = (
            "Not available in this revision: the server answers 400 `anthropic-beta: this endpoint requires "
            "one of …` before looking at the profile (docs/reference/profiles.md §4.6)."
        )
    elif method == "POST":
        body = known.get("body", {"type": "object"})
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    return operation


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def build(routes: list[BaseRoute], revision: Revision) -> dict[str, Any]:
    """The document for `revision`: every `/v1/` route of the app, with profile schemas of that revision."""
    known = _operations(revision)
    paths: dict[str, Any] = {}
    for route in routes:
        if isinstance(route, Route) and isinstance(route.app, ApiEndpoint):
            endpoint, path = route.app, route.path
            paths[path] = {
                method.lower(): _operation(path, method, endpoint, revision, known.get((path, method), {}))
                for method in endpoint.operations
            }
    name = revision.value or "GA (no user-profiles beta header)"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "uprof — User Profiles API",
            "version": __version__,
            "description": f"Shapes of revision {name}. Other revisions: ?revision={'|'.join(REVISIONS)}.",
        },
        "servers": [{"url": "/"}],
        # Every `/v1/` operation needs a key in one of the two headers (docs/reference/http.md §3).
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "parameters": headers.components(revision),
            "headers": headers.RESPONSE_HEADERS,
            "schemas": {
                "Error": schemas.ERROR,
                **webhooks.COMPONENTS,
                **admin.components(),
                **data_controls.COMPONENTS,
            },
            "responses": headers.ERROR_RESPONSES,
        },
    }
