"""Console: managing webhook endpoints (docs/reference/provider.md §6, docs/reference/webhooks.md §3) — create,
edit, enable or disable, regenerate the signing secret, delete. Each form is read as the JSON body of its API
operation and goes through the same schema and service, so the rules (the 32-endpoint limit, URL
checks, sealed secrets, cancelled deliveries) are the API's.

A signing secret is shown once, in the page that answers the create or regenerate form: it is never
put in a URL (no redirect carries it) and never stored in the clear.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.responses import Response
from starlette.routing import Route

from uprof.console.web import Console, console_page
from uprof.console.webhooks import LIST, render_list, sent_endpoint_form
from uprof.http.errors import ApiError, NotFound
from uprof.timestamps import utc_now
from uprof.webhooks import egress, schemas, service
from uprof.webhooks.records import WebhookEndpoint
from uprof.webhooks.schemas import EVENT_TYPES

ENDPOINTS = LIST + "/endpoints"


def endpoint_path(endpoint_id: str) -> str:
    return f"{ENDPOINTS}/{endpoint_id}"


def endpoint_body(console: Console) -> dict[str, Any]:
    """The endpoint form as the JSON body of `POST /v1/organizations/webhooks` (or of an update)."""
    return {
        # Pasted URLs often carry a stray space or line break; the API would refuse them as not absolute.
        "url": console.field("url").strip(),
        "enabled_events": console.fields("enabled_events"),
        "name": console.field("name"),
        "description": console.field("description"),
    }


async def render_endpoint(
    console: Console, endpoint_id: str, status: int = 200, errors: dict[str, str] | None = None, **context: Any
) -> Response:
    """The endpoint's page; a form refused by `errors` comes back as the operator filled it in."""
    org = console.organization_id
    try:
        row = await console.run(lambda c: service.retrieve(c, org, endpoint_id), write=False)
    except NotFound:
        return not_found(console)
    return console.render(
        "console_webhook_endpoint.html",
        status,
        nav="webhooks",
        endpoint=row,
        event_types=EVENT_TYPES,
        errors=errors or {},
        edit=sent_endpoint_form(console.form) if errors and console.form else stored_endpoint_form(row),
        # Forms on the page come back to it, also when it answers a form posted elsewhere.
        here=endpoint_path(row.id),
        **context,
    )


def stored_endpoint_form(row: WebhookEndpoint) -> dict[str, Any]:
    """The edit form as it starts: the endpoint's stored fields."""
    return {
        "url": row.url,
        "name": row.name,
        "description": row.description,
        "enabled_events": list(row.enabled_events),
    }


def not_found(console: Console) -> Response:
    return console.render(
        "console_problem.html",
        404,
        heading="Webhook endpoint not found",
        message="No webhook endpoint of this organization has this ID; it may have been deleted.",
    )


@console_page
async def endpoint_page(console: Console) -> Response:
    return await render_endpoint(console, console.path("endpoint_id"))


@console_page
async def create(console: Console) -> Response:
    org, now, box = console.organization_id, utc_now(), console.runtime.secret_box
    allow_http, policy = console.runtime.settings.webhook_allow_http, egress.policy_for(console.runtime.settings)

    def work(connection: Connection) -> service.CreatedEndpoint:
        new = schemas.new_endpoint(endpoint_body(console), allow_http=allow_http, egress=policy)
        return service.create(connection, org, new, now, box)

    try:
        created = await console.run(work, write=True)
    except ApiError as error:
        return await render_list(console, console.return_params(LIST), error.status, create_error=error.message)
    return await render_endpoint(console, created.row.id, new_secret=created.signing_secret, created=True)


@console_page
async def update(console: Console) -> Response:
    endpoint_id, org, now = console.path("endpoint_id"), console.organization_id, utc_now()
    allow_http, policy = console.runtime.settings.webhook_allow_http, egress.policy_for(console.runtime.settings)
    body = endpoint_body(console)
    # To the API an empty list means "keep the events"; an edit form with none ticked is a mistake,
    # which the schema then names ("must list at least one event type").
    body["enabled_events"] = body["enabled_events"] or None

    def work(connection: Connection) -> None:
        changes = schemas.endpoint_changes(body, allow_http=allow_http, egress=policy)
        service.update(connection, org, endpoint_id, changes, now)

    try:
        await console.run(work, write=True)
    except NotFound:
        return not_found(console)
    except ApiError as error:
        return await render_endpoint(console, endpoint_id, error.status, {"edit": error.message})
    return console.redirect(endpoint_path(endpoint_id), "endpoint_saved")


async def _set_state(console: Console, state: str, notice: str) -> Response:
    endpoint_id, org, now = console.path("endpoint_id"), console.organization_id, utc_now()
    changes = schemas.endpoint_changes({"state": state}, allow_http=False)
    try:
        await console.run(lambda c: service.update(c, org, endpoint_id, changes, now), write=True)
    except NotFound:
        return not_found(console)
    return console.redirect(console.return_to(endpoint_path(endpoint_id)), notice)


@console_page
async def enable(console: Console) -> Response:
    return await _set_state(console, "enabled", "endpoint_enabled")


@console_page
async def disable(console: Console) -> Response:
    return await _set_state(console, "disabled", "endpoint_disabled")


@console_page
async def regenerate_secret(console: Console) -> Response:
    endpoint_id, org, now, box = (
        console.path("endpoint_id"),
        console.organization_id,
        utc_now(),
        console.runtime.secret_box,
    )
    try:
        secret = await console.run(lambda c: service.regenerate_secret(c, org, endpoint_id, now, box), write=True)
    except NotFound:
        return not_found(console)
    return await render_endpoint(console, endpoint_id, new_secret=secret, created=False)


@console_page
async def delete_page(console: Console) -> Response:
    """The confirmation step before a delete, which cannot be undone."""
    org, endpoint_id = console.organization_id, console.path("endpoint_id")
    try:
        row = await console.run(lambda c: service.retrieve(c, org, endpoint_id), write=False)
    except NotFound:
        return not_found(console)
    return console.render("console_webhook_delete.html", nav="webhooks", endpoint=row)


@console_page
async def delete(console: Console) -> Response:
    endpoint_id, org = console.path("endpoint_id"), console.organization_id
    try:
        await console.run(lambda c: service.delete(c, org, endpoint_id), write=True)
    except NotFound:
        return not_found(console)
    # Not back to where the form was: that was the endpoint's own pages, which are gone.
    return console.redirect(LIST, "endpoint_deleted")


routes = [
    Route(ENDPOINTS, create, methods=["POST"]),
    Route(ENDPOINTS + "/{endpoint_id}", endpoint_page, methods=["GET"]),
    Route(ENDPOINTS + "/{endpoint_id}", update, methods=["POST"]),
    Route(ENDPOINTS + "/{endpoint_id}/enable", enable, methods=["POST"]),
    Route(ENDPOINTS + "/{endpoint_id}/disable", disable, methods=["POST"]),
    Route(ENDPOINTS + "/{endpoint_id}/regenerate_signing_secret", regenerate_secret, methods=["POST"]),
    Route(ENDPOINTS + "/{endpoint_id}/delete", delete_page, methods=["GET"]),
    Route(ENDPOINTS + "/{endpoint_id}/delete", delete, methods=["POST"]),
]
