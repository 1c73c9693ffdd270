"""Console: a profile's Google-managed data controls and the organization's External Keys, with the
operator's decisions on them (docs/data_controls.md §4): suspend a control, decide a pending region,
set what validating a key answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection
from starlette.responses import Response
from starlette.routing import Route

from uprof.console.web import Console, console_page
from uprof.data_controls import schemas as control_schemas
from uprof.data_controls import service as controls
from uprof.data_controls.serializers import data_controls_view
from uprof.external_keys import schemas as key_schemas
from uprof.external_keys import service as keys
from uprof.http.errors import ApiError
from uprof.http.listing import Listing
from uprof.http.query import single
from uprof.timestamps import utc_now

KEYS = "/console/external_keys"
PAGE_SIZE = 20


def _timing(console: Console) -> controls.Timing:
    settings = console.runtime.settings
    return controls.Timing(
        timedelta(seconds=settings.data_controls_delay), timedelta(seconds=settings.data_controls_retention)
    )


def _controls_path(profile_id: str) -> str:
    return f"/console/profiles/{profile_id}/data_controls"


async def _render_controls(console: Console, status: int = 200, errors: dict[str, str] | None = None) -> Response:
    profile_id, org, now, timing = console.path("user_profile_id"), console.organization_id, utc_now(), _timing(console)
    try:
        snapshot = await console.run(lambda c: controls.retrieve(c, org, profile_id, now, timing), write=True)
    except ApiError as error:
        return console.render("console_problem.html", error.status, heading="Not found", message=error.message)
    view = data_controls_view(snapshot)
    context = {
        "view": view,
        "suspended": snapshot.controls.suspended,
        "failed_checks": control_schemas.FAILED_CHECKS,
        "errors": errors or {},
        "nav": "profiles",
    }
    return console.render("console_data_controls.html", status, **context)


@console_page
async def controls_page(console: Console) -> Response:
    return await _render_controls(console)


async def _change(console: Console, key: str, work: Callable[[Connection], Any], notice: str) -> Response:
    try:
        await console.run(work, write=True)
    except ApiError as error:
        return await _render_controls(console, error.status, {key: error.message})
    return console.redirect(console.return_to(_controls_path(console.path("user_profile_id"))), notice)


@console_page
async def suspend(console: Console) -> Response:
    profile_id, org, now, timing = console.path("user_profile_id"), console.organization_id, utc_now(), _timing(console)
    control = console.path("control")
    suspended = console.field("suspended") == "true"

    def work(connection: Connection) -> Any:
        control_schemas.control_name(control)
        return controls.suspend(connection, org, profile_id, control, suspended, now, timing)

    return await _change(console, control, work, "control_suspended" if suspended else "control_restored")


@console_page
async def decide(console: Console) -> Response:
    profile_id, org, now, timing = console.path("user_profile_id"), console.organization_id, utc_now(), _timing(console)
    control, region = console.path("control"), console.path("region")
    body: dict[str, Any] = {"status": console.field("status")}
    if console.field("status") == "failed":
        if control == "cmek":
            body["error"] = console.field("error") or None
        else:
            check = {"check": console.field("check"), "message": console.field("message"), "role": None}
            body["failed_checks"] = [check]

    def work(connection: Connection) -> Any:
        place = (control_schemas.control_name(control), control_schemas.region_name(region))
        decision = control_schemas.decision(body, control)
        return controls.decide(connection, org, profile_id, place, decision, now, timing)

    return await _change(console, f"{control}-{region}", work, "region_decided")


async def _render_keys(console: Console, status: int = 200, errors: dict[str, str] | None = None) -> Response:
    org, cursors, now = console.organization_id, console.runtime.cursors, utc_now()
    params = console.request.query_params if console.request.method == "GET" else console.return_params(KEYS)
    try:
        listing = Listing("external_keys", "desc", single(params, "page") or None, PAGE_SIZE)
        page = await console.run(lambda c: keys.list_page(c, org, listing, cursors, now), write=False)
    except ApiError as error:
        return console.render("console_problem.html", error.status, heading="Not shown", message=error.message)
    context = {"page": page, "params": params, "errors": errors or {}, "nav": "external_keys"}
    return console.render("console_external_keys.html", status, **context)


@console_page
async def keys_page(console: Console) -> Response:
    return await _render_keys(console)


@console_page
async def set_validation(console: Console) -> Response:
    key_id, org, now = console.path("external_key_id"), console.organization_id, utc_now()
    body: dict[str, Any] = {"status": console.field("status")}
    if console.field("status") == "failure" and console.field("error"):
        body["error"] = console.field("error")

    def work(connection: Connection) -> Any:
        outcome = key_schemas.validation_outcome(body)
        return keys.set_validation(connection, org, key_id, outcome, now)

    try:
        await console.run(work, write=True)
    except ApiError as error:
        return await _render_keys(console, error.status, {key_id: error.message})
    return console.redirect(console.return_to(KEYS), "validation_saved")


routes = [
    Route("/console/profiles/{user_profile_id}/data_controls", controls_page, methods=["GET"]),
    Route("/console/profiles/{user_profile_id}/data_controls/{control}/suspension", suspend, methods=["POST"]),
    Route("/console/profiles/{user_profile_id}/data_controls/{control}/{region}", decide, methods=["POST"]),
    Route(KEYS, keys_page, methods=["GET"]),
    Route(KEYS + "/{external_key_id}/validation", set_validation, methods=["POST"]),
]
