"""Console: the enrollment queue (docs/reference/provider.md §5.4) and its approve / reject forms (§5.5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route

from uprof.console import service as console_service
from uprof.console.web import Console, console_page
from uprof.http.errors import ApiError
from uprof.http.listing import Listing
from uprof.http.query import choice, choices, single
from uprof.provider import reads, schemas, service
from uprof.standing import programs
from uprof.timestamps import utc_now

QUEUE = "/console/enrollments"
PAGE_SIZE = 20


def filters(params: QueryParams) -> dict[str, Any]:
    """The list filters of docs/reference/provider.md §5.4 from the filter form; an empty choice means "any".
    Raises InvalidRequest."""
    sent = QueryParams([(key, value) for key, value in params.multi_items() if value != ""])
    statuses = ["pending"] if "status" not in params else choices(sent, "status", schemas.ENROLLMENT_STATUSES)
    return {
        "statuses": statuses,
        "program": choice(sent, "program", programs.PROGRAMS),
        "source": choice(sent, "source", schemas.SOURCES),
        "profile_id": single(sent, "user_profile_id"),
        "order": choice(sent, "order", ("asc", "desc")) or "asc",
        "page": single(sent, "page"),
    }


async def render_queue(
    console: Console, params: QueryParams, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    org, cursors = console.organization_id, console.runtime.cursors
    chosen: dict[str, Any] = {"statuses": ["pending"]}
    try:
        chosen = filters(params)
        listing = Listing("enrollments", chosen.pop("order"), chosen.pop("page"), PAGE_SIZE)
        page = await console.run(
            lambda c: console_service.enrollment_queue(c, org, listing, cursors, **chosen), write=False
        )
    except ApiError as error:
        return console.render(
            "console_enrollments.html",
            error.status,
            nav="enrollments",
            page=None,
            params=params,
            filter_error=error.message,
        )
    return console.render(
        "console_enrollments.html",
        status,
        nav="enrollments",
        page=page,
        params=params,
        errors=errors or {},
        requirements=programs.requirements,
    )


@console_page
async def queue(console: Console) -> Response:
    return await render_queue(console, console.request.query_params)


def approval_body(console: Console, program: str) -> dict[str, Any]:
    """The form as the JSON body of `POST /v1/admin/enrollments/{id}/approve`."""
    field = programs.ITEM_FIELD[program]
    body: dict[str, Any] = {field: console.fields(field)}
    if program == "cyber":
        body["requirements"] = {name: bool(console.field(name)) for name in programs.DEFAULT_REQUIREMENTS}
    return {**body, **note_of(console)}


def note_of(console: Console) -> dict[str, str]:
    note = console.field("note").strip()
    return {"note": note} if note else {}


@console_page
async def approve(console: Console) -> Response:
    enrollment_id, org, now = console.path("enrollment_id"), console.organization_id, utc_now()

    def work(connection: Connection) -> None:
        program = reads.enrollment(connection, org, enrollment_id).program
        service.approve_enrollment_with(connection, org, enrollment_id, approval_body(console, program), now)

    return await _decide(console, enrollment_id, work, "approved")


@console_page
async def reject(console: Console) -> Response:
    enrollment_id, org, now = console.path("enrollment_id"), console.organization_id, utc_now()
    note = note_of(console)

    def work(connection: Connection) -> None:
        service.reject_enrollment(connection, org, enrollment_id, note=schemas.with_note_only(note), now=now)

    return await _decide(console, enrollment_id, work, "rejected")


async def _decide(console: Console, enrollment_id: str, work: Any, notice: str) -> Response:
    try:
        await console.run(work, write=True)
    except ApiError as error:
        return await render_queue(console, console.return_params(QUEUE), error.status, {enrollment_id: error.message})
    return console.redirect(console.return_to(QUEUE), notice)


routes = [
    Route(QUEUE, queue, methods=["GET"]),
    Route(QUEUE + "/{enrollment_id}/approve", approve, methods=["POST"]),
    Route(QUEUE + "/{enrollment_id}/reject", reject, methods=["POST"]),
]
