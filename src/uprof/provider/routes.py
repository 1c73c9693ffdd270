"""Admin API handlers under /v1/admin/… (docs/reference/provider.md §5): admin keys only, anthropic-version optional."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.routing import Route

from uprof.http.endpoint import ADMIN_ROUTES, ApiCall, Operation, api_route
from uprof.http.errors import NotFound
from uprof.http.listing import Listing
from uprof.http.query import choice, choices, limit, single
from uprof.profiles import revisions
from uprof.profiles.records import ProfileRead
from uprof.profiles.service import retrieve
from uprof.provider import reads, schemas, serializers, service
from uprof.standing import programs
from uprof.timestamps import utc_now


def _ga(read: ProfileRead) -> dict[str, Any]:
    return revisions.render(read, revisions.GA)


def _listing(call: ApiCall, name: str, default_order: str) -> Listing:
    params = call.query
    order = choice(params, "order", ("asc", "desc")) or default_order
    return Listing(name, order, single(params, "page"), limit(params))


def _program(call: ApiCall) -> str:
    program = call.path_param("program")
    if program not in programs.PROGRAMS:
        raise NotFound("program not found")
    return program


# --- enrollments ---


def list_enrollments(call: ApiCall) -> dict[str, Any]:
    params = call.query
    listing = _listing(call, "enrollments", "asc")
    statuses = choices(params, "status", schemas.ENROLLMENT_STATUSES)
    program = choice(params, "program", programs.PROGRAMS)
    source = choice(params, "source", schemas.SOURCES)
    profile_id = single(params, "user_profile_id")
    org, cursors = call.principal.organization_id, call.runtime.cursors
    rows, cursor = call.transact(
        lambda c: reads.list_enrollments(
            c, org, listing, cursors, statuses=statuses, program=program, profile_id=profile_id, source=source
        ),
        write=False,
    )
    return {"data": [serializers.enrollment_view(row) for row in rows], "next_page": cursor}


def get_enrollment(call: ApiCall) -> dict[str, Any]:
    enrollment_id, org = call.path_param("enrollment_id"), call.principal.organization_id
    row = call.transact(lambda c: reads.enrollment(c, org, enrollment_id), write=False)
    return serializers.enrollment_view(row)


def approve_enrollment(call: ApiCall) -> dict[str, Any]:
    enrollment_id, org, now = call.path_param("enrollment_id"), call.principal.organization_id, utc_now()

    def work(connection: Connection) -> dict[str, Any]:
        service.approve_enrollment_with(connection, org, enrollment_id, call.body, now)
        return serializers.enrollment_view(reads.enrollment(connection, org, enrollment_id))

    return call.transact(work, write=True)


def reject_enrollment(call: ApiCall) -> dict[str, Any]:
    enrollment_id, org, now = call.path_param("enrollment_id"), call.principal.organization_id, utc_now()
    note = schemas.with_note_only(call.body)

    def work(connection: Connection) -> dict[str, Any]:
        service.reject_enrollment(connection, org, enrollment_id, note=note, now=now)
        return serializers.enrollment_view(reads.enrollment(connection, org, enrollment_id))

    return call.transact(work, write=True)


# --- profiles and programs ---


def search_profiles(call: ApiCall) -> dict[str, Any]:
    listing = _listing(call, "profiles", "desc")
    q = single(call.query, "q")
    org, cursors = call.principal.organization_id, call.runtime.cursors
    rows, cursor = call.transact(lambda c: reads.search_profiles(c, org, listing, cursors, q), write=False)
    return {"data": [_ga(row) for row in rows], "next_page": cursor}


def operator_profile(call: ApiCall) -> dict[str, Any]:
    profile_id, org = call.path_param("user_profile_id"), call.principal.organization_id
    view = call.transact(lambda c: reads.operator_profile(c, org, profile_id), write=False)
    submitted = view.profile.identity_check_submitted
    now = view.profile.read_at
    return {
        "type": "admin_user_profile",
        "profile": _ga(view.profile),
        "cyber_requirements": view.cyber_requirements,
        "enrollments": [serializers.enrollment_view(row) for row in view.enrollments],
        "enforcement_actions": [serializers.action_view(row, submitted, now) for row in view.actions],
        "identity_checks": [serializers.identity_check_view(row) for row in view.identity_checks],
    }


def set_program(call: ApiCall) -> dict[str, Any]:
    program = _program(call)
    profile_id, org, now = call.path_param("user_profile_id"), call.principal.organization_id, utc_now()

    def work(connection: Connection) -> ProfileRead:
        service.change_program(connection, org, profile_id, program, call.body, now)
        return retrieve(connection, org, profile_id)

    return _ga(call.transact(work, write=True))


def clear_program(call: ApiCall) -> dict[str, Any]:
    program = _program(call)
    profile_id, org, now = call.path_param("user_profile_id"), call.principal.organization_id, utc_now()

    def work(connection: Connection) -> ProfileRead:
        service.clear_program(connection, org, profile_id, program, now)
        return retrieve(connection, org, profile_id)

    return _ga(call.transact(work, write=True))


# --- enforcement actions ---


def list_profile_actions(call: ApiCall) -> dict[str, Any]:
    state = choice(call.query, "state", schemas.ACTION_STATES) or "all"
    profile_id, org, now = call.path_param("user_profile_id"), call.principal.organization_id, utc_now()
    rows, submitted = call.transact(lambda c: reads.actions_of_profile(c, org, profile_id, state), write=False)
    return {"data": [serializers.action_view(row, submitted, now) for row in rows], "next_page": None}


def open_action(call: ApiCall) -> dict[str, Any]:
    now = utc_now()
    new = schemas.new_action(call.body, now)
    profile_id, org = call.path_param("user_profile_id"), call.principal.organization_id

    def work(connection: Connection) -> dict[str, Any]:
        action_id = service.open_enforcement_action(
            connection,
            org,
            profile_id,
            type=new.type,
            reason=new.reason,
            verifiable=new.verifiable,
            expires_at=new.expires_at,
            note=new.note,
            now=now,
        )
        row, submitted = reads.action(connection, org, action_id)
        return serializers.action_view(row, submitted, now)

    return call.transact(work, write=True)


def get_action(call: ApiCall) -> dict[str, Any]:
    action_id, org, now = call.path_param("action_id"), call.principal.organization_id, utc_now()
    row, submitted = call.transact(lambda c: reads.action(c, org, action_id), write=False)
    return serializers.action_view(row, submitted, now)


def resolve_action(call: ApiCall) -> dict[str, Any]:
    note = schemas.with_note_only(call.body)
    action_id, org, now = call.path_param("action_id"), call.principal.organization_id, utc_now()

    def work(connection: Connection) -> dict[str, Any]:
        service.resolve_enforcement_action(connection, org, action_id, now, note=note)
        row, submitted = reads.action(connection, org, action_id)
        return serializers.action_view(row, submitted, now)

    return call.transact(work, write=True)


# --- identity checks ---


def list_identity_checks(call: ApiCall) -> dict[str, Any]:
    params = call.query
    listing = Listing("identity_checks", "asc", single(params, "page"), limit(params))
    statuses = choices(params, "status", schemas.CHECK_STATUSES)
    profile_id = single(params, "user_profile_id")
    org, cursors = call.principal.organization_id, call.runtime.cursors
    rows, cursor = call.transact(
        lambda c: reads.list_identity_checks(c, org, listing, cursors, statuses=statuses, profile_id=profile_id),
        write=False,
    )
    return {"data": [serializers.identity_check_view(row) for row in rows], "next_page": cursor}


def approve_identity_check(call: ApiCall) -> dict[str, Any]:
    note = schemas.with_note_only(call.body)
    return _decide_check(
        call, lambda c, org, check_id, now: service.approve_identity_check(c, org, check_id, note=note, now=now)
    )


def reject_identity_check(call: ApiCall) -> dict[str, Any]:
    allow_retry, note = schemas.identity_rejection(call.body)
    return _decide_check(
        call,
        lambda c, org, check_id, now: service.reject_identity_check(
            c, org, check_id, allow_retry=allow_retry, note=note, now=now
        ),
    )


def _decide_check(call: ApiCall, decide: Any) -> dict[str, Any]:
    check_id, org, now = call.path_param("check_id"), call.principal.organization_id, utc_now()

    def work(connection: Connection) -> dict[str, Any]:
        decide(connection, org, check_id, now)
        return serializers.identity_check_view(reads.identity_check(connection, org, check_id))

    return call.transact(work, write=True)


def _route(path: str, operations: dict[str, Operation]) -> Route:
    return api_route("/v1/admin/" + path, operations, ADMIN_ROUTES)


routes: list[Route] = [
    _route("enrollments", {"GET": Operation(list_enrollments)}),
    _route("enrollments/{enrollment_id}", {"GET": Operation(get_enrollment)}),
    _route("enrollments/{enrollment_id}/approve", {"POST": Operation(approve_enrollment, takes_body=True)}),
    _route("enrollments/{enrollment_id}/reject", {"POST": Operation(reject_enrollment, takes_body=True)}),
    _route("user_profiles", {"GET": Operation(search_profiles)}),
    _route("user_profiles/{user_profile_id}", {"GET": Operation(operator_profile)}),
    _route(
        "user_profiles/{user_profile_id}/programs/{program}",
        {"POST": Operation(set_program, takes_body=True), "DELETE": Operation(clear_program)},
    ),
    _route(
        "user_profiles/{user_profile_id}/enforcement_actions",
        {"GET": Operation(list_profile_actions), "POST": Operation(open_action, takes_body=True)},
    ),
    _route("enforcement_actions/{action_id}", {"GET": Operation(get_action)}),
    _route("enforcement_actions/{action_id}/resolve", {"POST": Operation(resolve_action, takes_body=True)}),
    _route("identity_checks", {"GET": Operation(list_identity_checks)}),
    _route("identity_checks/{check_id}/approve", {"POST": Operation(approve_identity_check, takes_body=True)}),
    _route("identity_checks/{check_id}/reject", {"POST": Operation(reject_identity_check, takes_body=True)}),
]
