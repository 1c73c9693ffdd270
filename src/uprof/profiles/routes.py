"""HTTP handlers for /v1/user_profiles…: parse, call the service in one unit of work, render the revision."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from uprof.http.endpoint import PROFILE_ROUTES, ApiCall, Operation, api_route
from uprof.http.errors import InvalidRequest, member_path
from uprof.links import service as links
from uprof.profiles import revisions, schemas, service
from uprof.timestamps import format_timestamp, utc_now


def create_profile(call: ApiCall) -> dict[str, Any]:
    now = utc_now()
    changes = schemas.parse_profile_body(call.body, call.revision, creating=True, now=now)
    organization_id = call.principal.organization_id
    row = call.transact(lambda c: service.create(c, organization_id, changes, now), write=True)
    return revisions.render(row, call.revision)


def retrieve_profile(call: ApiCall) -> dict[str, Any]:
    profile_id = call.path_param("user_profile_id")
    organization_id = call.principal.organization_id
    row = call.transact(lambda c: service.retrieve(c, organization_id, profile_id), write=False)
    return revisions.render(row, call.revision)


def update_profile(call: ApiCall) -> dict[str, Any]:
    now = utc_now()
    changes = schemas.parse_profile_body(call.body, call.revision, creating=False, now=now)
    profile_id = call.path_param("user_profile_id")
    organization_id = call.principal.organization_id
    row = call.transact(lambda c: service.update(c, organization_id, profile_id, changes, now), write=True)
    return revisions.render(row, call.revision)


def list_profiles(call: ApiCall) -> dict[str, Any]:
    query = schemas.parse_list_query(call.query, call.revision)
    organization_id = call.principal.organization_id
    cursors = call.runtime.cursors
    page = call.transact(lambda c: service.list_page(c, organization_id, query, cursors), write=False)
    return {
        "data": revisions.render_each(page.rows, call.revision, complete=False),
        "next_page": page.next_page,
    }


def delete_profile(call: ApiCall) -> dict[str, Any]:
    profile_id = call.path_param("user_profile_id")
    organization_id = call.principal.organization_id
    call.transact(lambda c: service.delete(c, organization_id, profile_id), write=True)
    return {"id": profile_id, "type": "user_profile_deleted"}


def create_enrollment_url(call: ApiCall) -> dict[str, Any]:
    revisions.check_enrollment_url_available(call.revision)
    _refuse_keys(list(call.body), "")
    link = _issue_link(call, links.ENROLLMENT)
    return {"type": "enrollment_url", "url": link.url, "expires_at": format_timestamp(link.expires_at)}


def create_action_url(call: ApiCall) -> dict[str, Any]:
    action = _action(call.body)
    _refuse_keys([key for key in action if key != "type"], "action")
    link = _issue_link(call, links.PORTAL)
    return {"type": "user_profile_action_url", "url": link.url, "expires_at": format_timestamp(link.expires_at)}


def _action(body: dict[str, Any]) -> dict[str, Any]:
    for key in body:
        if key != "action":
            raise InvalidRequest(f"{member_path('', key)}: unknown field")
    if "action" not in body:
        raise InvalidRequest("action: field is required")
    action = body["action"]
    if not isinstance(action, dict):
        raise InvalidRequest("action: must be an object")
    if "type" not in action:
        raise InvalidRequest("action.type: field is required")
    if action["type"] != "enroll_end_user":
        raise InvalidRequest("action.type: must be enroll_end_user")
    return action


def _refuse_keys(keys: list[str], prefix: str) -> None:
    if keys:
        raise InvalidRequest(f"{member_path(prefix, keys[0])}: unknown field")


def _issue_link(call: ApiCall, kind: str) -> links.IssuedLink:
    profile_id = call.path_param("user_profile_id")
    organization_id, settings, now = call.principal.organization_id, call.runtime.settings, utc_now()
    return call.transact(lambda c: service.issue_link(c, organization_id, profile_id, kind, now, settings), write=True)


routes: list[Route] = [
    api_route(
        "/v1/user_profiles",
        {"GET": Operation(list_profiles), "POST": Operation(create_profile, takes_body=True)},
        PROFILE_ROUTES,
    ),
    api_route(
        "/v1/user_profiles/{user_profile_id}",
        {
            "GET": Operation(retrieve_profile),
            "POST": Operation(update_profile, takes_body=True),
            "DELETE": Operation(delete_profile),
        },
        PROFILE_ROUTES,
    ),
    api_route(
        "/v1/user_profiles/{user_profile_id}/enrollment_url",
        {"POST": Operation(create_enrollment_url, takes_body=True)},
        PROFILE_ROUTES,
    ),
    api_route(
        "/v1/user_profiles/{user_profile_id}/action_urls",
        {"POST": Operation(create_action_url, takes_body=True)},
        PROFILE_ROUTES,
    ),
]
