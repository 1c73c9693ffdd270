"""Console: profile search (docs/reference/provider.md §5.6) and the profile page: program editor (§5.7), enforcement
actions (§5.8), history, and new enrollment or portal links (docs/reference/profiles.md §4.6–4.7)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route

from uprof.console import service as console_service
from uprof.console.enrollments import note_of
from uprof.console.web import Console, console_page
from uprof.http.errors import ApiError, NotFound
from uprof.http.listing import Listing
from uprof.http.query import single
from uprof.http.revision_choice import Revision
from uprof.links import service as links
from uprof.pages.html import Submitted
from uprof.profiles import revisions
from uprof.profiles import service as profile_service
from uprof.provider import reads, schemas, service
from uprof.standing import programs
from uprof.standing.enforcement import REASONS
from uprof.timestamps import utc_now

SEARCH = "/console/profiles"
PAGE_SIZE = 25
LINK_KINDS = {"enrollment": links.ENROLLMENT, "portal": links.PORTAL}
# What a datetime-local input sends; the console reads it as UTC.
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(?:\.\d+)?)?")


@console_page
async def search(console: Console) -> Response:
    params = console.request.query_params
    org, cursors = console.organization_id, console.runtime.cursors
    sent = QueryParams([(key, value) for key, value in params.multi_items() if value.strip() != ""])
    try:
        q = single(sent, "q")
        listing = Listing("profiles", "desc", single(sent, "page"), PAGE_SIZE)
        rows, cursor = await console.run(
            lambda c: reads.search_profiles(c, org, listing, cursors, q.strip() if q else None), write=False
        )
    except ApiError as error:
        return console.render("console_profiles.html", error.status, nav="profiles", rows=[], q="", error=error.message)
    shown = [revisions.render(row, Revision.GA) for row in rows]
    return console.render("console_profiles.html", nav="profiles", rows=shown, next_page=cursor, q=q or "")


async def render_profile(
    console: Console, profile_id: str, status: int = 200, errors: dict[str, str] | None = None, **context: Any
) -> Response:
    org = console.organization_id
    try:
        sheet = await console.run(lambda c: console_service.profile_sheet(c, org, profile_id), write=False)
    except NotFound:
        return console.render(
            "console_problem.html", 404, heading="Profile not found", message="No profile has this ID."
        )
    return console.render(
        "console_profile.html",
        status,
        nav="profiles",
        sheet=sheet,
        profile=sheet.view.profile.profile,
        enforcement_status=sheet.enforcement_status,
        cyber_requirements=sheet.view.cyber_requirements,
        errors=errors or {},
        submitted=Submitted(console.form) if console.form is not None else None,
        items=programs.ITEMS,
        reasons=REASONS,
        **context,
    )


@console_page
async def profile_page(console: Console) -> Response:
    return await render_profile(console, console.path("profile_id"))


async def _change(console: Console, form: str, work: Callable[[Connection], None], notice: str) -> Response:
    """Run a change from the profile page: back to the page with a notice, or the error next to `form`."""
    try:
        await console.run(work, write=True)
    except ApiError as error:
        return await render_profile(console, console.path("profile_id"), error.status, {form: error.message})
    return console.redirect(f"{SEARCH}/{console.path('profile_id')}", notice)


def program_body(console: Console, program: str) -> dict[str, Any]:
    """The program editor as the JSON body of `POST /v1/admin/user_profiles/{id}/programs/{program}`:
    only the fields the operator changed (left on "unchanged" they are not sent)."""
    body: dict[str, Any] = {}
    if console.field("status"):
        body["status"] = console.field("status")
    field = programs.ITEM_FIELD[program]
    items = {name: console.field(f"{field}.{name}") for name in programs.ITEMS[program]}
    if any(items.values()):
        body[field] = {name: state for name, state in items.items() if state}
    if program == "cyber":
        requirements = {name: console.field(f"requirements.{name}") for name in programs.DEFAULT_REQUIREMENTS}
        if any(requirements.values()):
            body["requirements"] = {
                name: value == "true" if value in ("true", "false") else value
                for name, value in requirements.items()
                if value
            }
    return body


@console_page
async def set_program(console: Console) -> Response:
    program, profile_id, org, now = (
        console.path("program"),
        console.path("profile_id"),
        console.organization_id,
        utc_now(),
    )
    if program not in programs.PROGRAMS:
        return await render_profile(console, profile_id, 404, {"program": "program not found"})

    def work(connection: Connection) -> None:
        service.change_program(connection, org, profile_id, program, program_body(console, program), now)

    return await _change(console, f"program-{program}", work, "program_saved")


@console_page
async def clear_program(console: Console) -> Response:
    program, profile_id, org, now = (
        console.path("program"),
        console.path("profile_id"),
        console.organization_id,
        utc_now(),
    )
    if program not in programs.PROGRAMS:
        return await render_profile(console, profile_id, 404, {"program": "program not found"})
    return await _change(
        console,
        f"program-{program}",
        lambda c: service.clear_program(c, org, profile_id, program, now),
        "program_cleared",
    )


def action_body(console: Console) -> dict[str, Any]:
    """The new-action form as the JSON body of `POST /v1/admin/user_profiles/{id}/enforcement_actions`."""
    body: dict[str, Any] = {"type": console.field("type"), "reason": console.field("reason")}
    if console.field("verifiable"):
        body["verifiable"] = True
    expires_at = console.field("expires_at").strip()
    if expires_at:
        local = _LOCAL_TIME.fullmatch(expires_at)
        body["expires_at"] = expires_at + ("" if local is None else "Z" if local.group(1) else ":00Z")
    return {**body, **note_of(console)}


@console_page
async def open_action(console: Console) -> Response:
    profile_id, org, now = console.path("profile_id"), console.organization_id, utc_now()

    def work(connection: Connection) -> None:
        new = schemas.new_action(action_body(console), now)
        service.open_enforcement_action(
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

    return await _change(console, "open-action", work, "action_opened")


@console_page
async def resolve_action(console: Console) -> Response:
    action_id, org, now = console.path("action_id"), console.organization_id, utc_now()
    body = note_of(console)

    def work(connection: Connection) -> str:
        profile_id: str = reads.action(connection, org, action_id)[0].user_profile_id
        service.resolve_enforcement_action(connection, org, action_id, now, note=schemas.with_note_only(body))
        return profile_id

    try:
        profile_id = await console.run(work, write=True)
    except NotFound as error:
        return console.render("console_problem.html", 404, heading="Action not found", message=error.message)
    except ApiError as error:
        return await render_profile_of_action(console, action_id, error)
    return console.redirect(f"{SEARCH}/{profile_id}", "action_resolved")


async def render_profile_of_action(console: Console, action_id: str, error: ApiError) -> Response:
    org = console.organization_id
    row, _ = await console.run(lambda c: reads.action(c, org, action_id), write=False)
    return await render_profile(console, row.user_profile_id, error.status, {f"resolve-{action_id}": error.message})


@console_page
async def create_link(console: Console) -> Response:
    kind = LINK_KINDS.get(console.path("kind"))
    profile_id, org, now = console.path("profile_id"), console.organization_id, utc_now()
    settings = console.runtime.settings
    if kind is None:
        return await render_profile(console, profile_id, 404, {"links": "unknown kind of link"})

    def work(connection: Connection) -> links.IssuedLink:
        return profile_service.issue_link(connection, org, profile_id, kind, now, settings)

    try:
        issued = await console.run(work, write=True)
    except ApiError as error:
        return await render_profile(console, profile_id, error.status, {"links": error.message})
    # Shown once, on this response only: the token is never stored in the clear.
    return await render_profile(console, profile_id, issued_link=issued, issued_kind=console.path("kind"))


routes = [
    Route(SEARCH, search, methods=["GET"]),
    Route(SEARCH + "/{profile_id}", profile_page, methods=["GET"]),
    Route(SEARCH + "/{profile_id}/programs/{program}", set_program, methods=["POST"]),
    Route(SEARCH + "/{profile_id}/programs/{program}/clear", clear_program, methods=["POST"]),
    Route(SEARCH + "/{profile_id}/enforcement_actions", open_action, methods=["POST"]),
    Route(SEARCH + "/{profile_id}/links/{kind}", create_link, methods=["POST"]),
    Route("/console/enforcement_actions/{action_id}/resolve", resolve_action, methods=["POST"]),
]
