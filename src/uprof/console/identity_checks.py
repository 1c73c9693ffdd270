"""Console: identity checks (docs/reference/provider.md §5.9): list, approve, reject with or without a retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route

from uprof.console import service as console_service
from uprof.console.enrollments import note_of
from uprof.console.web import Console, console_page
from uprof.http.errors import ApiError
from uprof.http.listing import Listing
from uprof.http.query import choices, single
from uprof.provider import schemas, service
from uprof.timestamps import utc_now

LIST = "/console/identity_checks"
PAGE_SIZE = 20


async def render_list(
    console: Console, params: QueryParams, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    org, cursors = console.organization_id, console.runtime.cursors
    sent = QueryParams([(key, value) for key, value in params.multi_items() if value != ""])
    try:
        statuses = ["submitted"] if "status" not in params else choices(sent, "status", schemas.CHECK_STATUSES)
        profile_id = single(sent, "user_profile_id")
        listing = Listing("identity_checks", "asc", single(sent, "page"), PAGE_SIZE)
        page = await console.run(
            lambda c: console_service.identity_check_list(
                c, org, listing, cursors, statuses=statuses, profile_id=profile_id
            ),
            write=False,
        )
    except ApiError as error:
        return console.render(
            "console_identity_checks.html",
            error.status,
            nav="checks",
            page=None,
            params=params,
            filter_error=error.message,
        )
    return console.render(
        "console_identity_checks.html", status, nav="checks", page=page, params=params, errors=errors or {}
    )


@console_page
async def checks(console: Console) -> Response:
    return await render_list(console, console.request.query_params)


Decision = Callable[[Connection, str, str, datetime], None]


@console_page
async def approve(console: Console) -> Response:
    body = note_of(console)

    def decide(connection: Connection, org: str, check_id: str, now: datetime) -> None:
        note = schemas.with_note_only(body)
        service.approve_identity_check(connection, org, check_id, note=note, now=now)

    return await _decide(console, decide, "check_approved")


@console_page
async def reject(console: Console) -> Response:
    body: dict[str, Any] = {"allow_retry": bool(console.field("allow_retry")), **note_of(console)}

    def decide(connection: Connection, org: str, check_id: str, now: datetime) -> None:
        allow_retry, note = schemas.identity_rejection(body)
        service.reject_identity_check(connection, org, check_id, allow_retry=allow_retry, note=note, now=now)

    return await _decide(console, decide, "check_rejected")


async def _decide(console: Console, decide: Decision, notice: str) -> Response:
    check_id, org, now = console.path("check_id"), console.organization_id, utc_now()
    try:
        await console.run(lambda c: decide(c, org, check_id, now), write=True)
    except ApiError as error:
        return await render_list(console, console.return_params(LIST), error.status, {check_id: error.message})
    return console.redirect(console.return_to(LIST), notice)


routes = [
    Route(LIST, checks, methods=["GET"]),
    Route(LIST + "/{check_id}/approve", approve, methods=["POST"]),
    Route(LIST + "/{check_id}/reject", reject, methods=["POST"]),
]
