"""HTTP handlers for /v1/user_profiles/{id}/providers/google/data_controls (docs/data_controls.md §1) and
the operator's side under /v1/admin/user_profiles/{id}/data_controls… (§4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.routing import Route

from uprof.data_controls import schemas, service
from uprof.data_controls.serializers import data_controls_view
from uprof.http.endpoint import ADMIN_ROUTES, ApiCall, Operation, RouteRules, api_route
from uprof.http.revision_choice import DATA_CONTROLS_BETA
from uprof.timestamps import utc_now

# A profile route (its `user-profiles-*` values are checked as on every profile route) that, like the
# webhook routes, is unknown (404) to a request without its own beta value.
DATA_CONTROLS_ROUTES = RouteRules(resolves_revision=True, required_beta=DATA_CONTROLS_BETA)
PATH = "/v1/user_profiles/{user_profile_id}/providers/google/data_controls"
ADMIN_PATH = "/v1/admin/user_profiles/{user_profile_id}/data_controls"


def _timing(call: ApiCall) -> service.Timing:
    settings = call.runtime.settings
    return service.Timing(
        timedelta(seconds=settings.data_controls_delay), timedelta(seconds=settings.data_controls_retention)
    )


def retrieve_data_controls(call: ApiCall) -> dict[str, Any]:
    profile_id, org, now, timing = (
        call.path_param("user_profile_id"),
        call.principal.organization_id,
        utc_now(),
        _timing(call),
    )
    # A write: reading decides the regions whose delay has passed (docs/data_controls.md §3).
    snapshot = call.transact(lambda c: service.retrieve(c, org, profile_id, now, timing), write=True)
    return data_controls_view(snapshot)


def update_data_controls(call: ApiCall) -> dict[str, Any]:
    changes = schemas.update_body(call.body)
    profile_id, org, now, timing = (
        call.path_param("user_profile_id"),
        call.principal.organization_id,
        utc_now(),
        _timing(call),
    )
    snapshot = call.transact(lambda c: service.update(c, org, profile_id, changes, now, timing), write=True)
    return data_controls_view(snapshot)


def decide_region(call: ApiCall) -> dict[str, Any]:
    control = schemas.control_name(call.path_param("control"))
    region = schemas.region_name(call.path_param("region"))
    decision = schemas.decision(call.body, control)
    profile_id, org, now, timing = (
        call.path_param("user_profile_id"),
        call.principal.organization_id,
        utc_now(),
        _timing(call),
    )
    snapshot = call.transact(
        lambda c: service.decide(c, org, profile_id, (control, region), decision, now, timing), write=True
    )
    return data_controls_view(snapshot)


def suspend_control(call: ApiCall) -> dict[str, Any]:
    control = schemas.control_name(call.path_param("control"))
    suspended = schemas.suspension(call.body)
    profile_id, org, now, timing = (
        call.path_param("user_profile_id"),
        call.principal.organization_id,
        utc_now(),
        _timing(call),
    )
    snapshot = call.transact(lambda c: service.suspend(c, org, profile_id, control, suspended, now, timing), write=True)
    return data_controls_view(snapshot)


def operator_data_controls(call: ApiCall) -> dict[str, Any]:
    return retrieve_data_controls(call)


routes: list[Route] = [
    api_route(
        PATH,
        {"GET": Operation(retrieve_data_controls), "POST": Operation(update_data_controls, takes_body=True)},
        DATA_CONTROLS_ROUTES,
    ),
    api_route(ADMIN_PATH, {"GET": Operation(operator_data_controls)}, ADMIN_ROUTES),
    api_route(
        ADMIN_PATH + "/{control}/suspension", {"POST": Operation(suspend_control, takes_body=True)}, ADMIN_ROUTES
    ),
    api_route(ADMIN_PATH + "/{control}/{region}", {"POST": Operation(decide_region, takes_body=True)}, ADMIN_ROUTES),
]
