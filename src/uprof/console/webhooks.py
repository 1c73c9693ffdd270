"""Console: the webhooks page (docs/reference/provider.md §6) — the organization's endpoints with a form to add one,
then the delivery log (docs/reference/webhooks.md §7): deliveries newest first with every attempt, and a retry for
failed or cancelled ones. Same service functions as the API; the endpoint forms are in webhook_endpoints.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import FormData, QueryParams
from starlette.responses import Response
from starlette.routing import Route

from uprof.console import service as console_service
from uprof.console.profiles import SEARCH, render_profile
from uprof.console.web import Console, console_page
from uprof.http.errors import ApiError
from uprof.http.listing import Listing
from uprof.http.query import single
from uprof.pages.html import Submitted
from uprof.timestamps import utc_now
from uprof.webhooks import delivery_log, service
from uprof.webhooks.schemas import EVENT_TYPES, delivery_filters

LIST = "/console/webhooks"
PAGE_SIZE = 20
# Pre-ticked on the form for a new endpoint: the only events uprof sends.
PROFILE_EVENTS = tuple(name for name in EVENT_TYPES if name.startswith("user_profile."))


async def render_list(
    console: Console,
    params: QueryParams,
    status: int = 200,
    errors: dict[str, str] | None = None,
    create_error: str | None = None,
) -> Response:
    """The webhooks page. `errors` go next to a delivery (by ID); `create_error` next to the
    form for a new endpoint, which then comes back as the operator filled it in."""
    org, cursors = console.organization_id, console.runtime.cursors
    sent = QueryParams([(key, value) for key, value in params.multi_items() if value and key != "notice"])

    def work(connection: Connection) -> tuple[list[delivery_log.DeliveryRecord], str | None]:
        listing = Listing("webhook_deliveries", "desc", single(sent, "page"), PAGE_SIZE)
        filters, profile_id = delivery_filters(sent), single(sent, "user_profile_id")
        rows, cursor = delivery_log.list_page(connection, org, filters, listing, cursors, profile_id)
        return [delivery_log.retrieve(connection, org, row.id) for row in rows], cursor

    endpoints = await console.run(lambda c: console_service.webhook_endpoints(c, org), write=False)
    choices = [(row.id, row.name or row.url) for row in endpoints]
    chosen = params.get("endpoint_id", "")
    if chosen and chosen not in {row.id for row in endpoints}:
        choices.append((chosen, chosen))  # a deleted or mistyped ID stays visible as the filter in use
    context: dict[str, Any] = {
        "nav": "webhooks",
        "endpoints": endpoints,
        "endpoint_urls": {row.id: row.url for row in endpoints},
        "endpoint_choices": choices,
        "max_endpoints": service.MAX_ENDPOINTS,
        "event_types": EVENT_TYPES,
        "new": sent_endpoint_form(console.form) if create_error and console.form else BLANK_ENDPOINT_FORM,
        "params": params,
        "errors": errors or {},
        "create_error": create_error,
    }
    try:
        records, cursor = await console.run(work, write=False)
    except ApiError as error:
        return console.render(
            "console_webhooks.html", error.status, records=None, filter_error=error.message, **context
        )
    return console.render("console_webhooks.html", status, records=records, cursor=cursor, **context)


def sent_endpoint_form(form: FormData) -> dict[str, Any]:
    """An endpoint form's fields as the operator sent them, to show again next to its error."""
    sent = Submitted(form)
    return {
        "url": sent.get("url"),
        "name": sent.get("name"),
        "description": sent.get("description"),
        "enabled_events": [event for event in EVENT_TYPES if sent.has("enabled_events", event)],
    }


# The form for a new endpoint starts blank, with the events uprof sends ticked.
BLANK_ENDPOINT_FORM: dict[str, Any] = {"url": "", "name": "", "description": "", "enabled_events": PROFILE_EVENTS}


@console_page
async def webhooks_page(console: Console) -> Response:
    return await render_list(console, console.request.query_params)


@console_page
async def retry(console: Console) -> Response:
    """Retry from the delivery log or from a profile page; a refusal shows on the page it came from."""
    delivery_id, org, now = console.path("delivery_id"), console.organization_id, utc_now()
    try:
        await console.run(lambda c: delivery_log.retry(c, org, delivery_id, now), write=True)
    except ApiError as error:
        origin = console.return_to(LIST).split("?")[0]
        if origin.startswith(SEARCH + "/"):
            profile_id = origin.removeprefix(SEARCH + "/").split("/")[0]
            return await render_profile(console, profile_id, error.status, {delivery_id: error.message})
        return await render_list(console, console.return_params(LIST), error.status, {delivery_id: error.message})
    return console.redirect(console.return_to(LIST), "delivery_retried")


routes = [
    Route(LIST, webhooks_page, methods=["GET"]),
    Route(LIST + "/deliveries/{delivery_id}/retry", retry, methods=["POST"]),
]
