"""Assemble the OpenAPI 3.1 document from the app's own routes and the schemas of one revision."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from uprof import __version__
from uprof.http.endpoint import ApiEndpoint
from uprof.http.revisions import Revision
from uprof.openapi import schemas
from uprof.profiles.schemas import ENFORCEMENT_STATUSES

# `?revision=` values and the revision each names.
REVISIONS = {"2026-03-24": Revision.R1, "2026-08-18": Revision.R2, "2026-09-04": Revision.R3, "ga": Revision.GA}
ERROR_STATUSES = ("400", "401", "403", "404", "405", "409", "413", "429", "500", "529")
PROFILE = "/v1/user_profiles/{user_profile_id}"


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _list_parameters(revision: Revision) -> list[dict[str, Any]]:
    parameters = [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."),
        _query("order", {"enum": ["asc", "desc"], "default": "desc"}, "Sort direction."),
        _query("order_by", {"enum": ["created_at", "name"], "default": "created_at"}, "Sort key."),
        _query("page", {"type": "string"}, "The `next_page` value of the previous page."),
    ]
    if revision is Revision.GA:
        status = {"type": "array", "items": {"enum": list(ENFORCEMENT_STATUSES)}}
        parameters.append(_query("enforcement_status", status, "Keep profiles with these statuses (repeatable)."))
    return parameters


def _operations(revision: Revision) -> dict[tuple[str, str], dict[str, Any]]:
    """What is known of each profile operation beyond its path: summary, body, 200 schema."""
    profile = schemas.profile(revision)
    body = schemas.profile_body(revision, creating=True)
    changes = schemas.profile_body(revision, creating=False)
    listing = schemas.closed({"data": {"type": "array", "items": profile}, "next_page": {"type": ["string", "null"]}})
    return {
        ("/v1/user_profiles", "POST"): {"summary": "Create a user profile", "body": body, "ok": profile},
        ("/v1/user_profiles", "GET"): {
            "summary": "List user profiles",
            "ok": listing,
            "parameters": _list_parameters(revision),
        },
        (PROFILE, "GET"): {"summary": "Retrieve a user profile", "ok": profile},
        (PROFILE, "POST"): {"summary": "Update a user profile", "body": changes, "ok": profile},
        (PROFILE, "DELETE"): {"summary": "Delete a user profile", "ok": schemas.DELETED},
        (PROFILE + "/enrollment_url", "POST"): {
            "summary": "Create an enrollment URL (beta revisions only; 400 under GA)",
            "body": schemas.closed({}),
            "ok": schemas.LINK,
        },
        (PROFILE + "/action_urls", "POST"): {
            "summary": "Create an action URL",
            "body": schemas.ACTION_URL_BODY,
            "ok": schemas.LINK,
        },
    }


def _operation(path: str, method: str, known: dict[str, Any] | None) -> dict[str, Any]:
    known = known or {}
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in _path_parameters(path)
    ] + known.get("parameters", [])
    responses: dict[str, Any] = {
        "200": {
            "description": "Success",
            "content": {"application/json": {"schema": known.get("ok", {"type": "object"})}},
        }
    }
    for status in ERROR_STATUSES:
        responses[status] = {"$ref": "#/components/responses/Error"}
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": known.get("summary", f"{method} {path}"),
        "parameters": parameters,
        "responses": responses,
    }
    if method == "POST":
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
            paths[route.path] = {
                method.lower(): _operation(route.path, method, known.get((route.path, method)))
                for method in route.app.operations
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
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {"Error": schemas.ERROR},
            "responses": {
                "Error": {
                    "description": "An error in the envelope of http.md §11",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        },
    }
