"""Console: the webhook delivery log (webhooks.md §7) — deliveries newest first with every attempt,
and a retry for failed or cancelled ones. Same service functions as the Admin API."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route

from uprof.console.web import Console, console_page
from uprof.http.errors import ApiError
from uprof.provider.queries import Listing
from uprof.provider.schemas import single
from uprof.timestamps import utc_now
from uprof.webhooks import delivery_log
from uprof.webhooks.schemas import delivery_filters

LIST = "/console/webhooks"
PAGE_SIZE = 20


async def render_list(
    console: Console, params: QueryParams, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    org, cursors = console.organization_id, console.services.cursors
    sent = QueryParams([(key, value) for key, value in params.multi_items() if value and key != "notice"])

    def work(connection: Any) -> tuple[list[delivery_log.DeliveryRecord], str | None]:
        listing = Listing("webhook_deliveries", "desc", single(sent, "page"), PAGE_SIZE)
        rows, cursor = delivery_log.list_page(connection, org, delivery_filters(sent), listing, cursors)
        return [delivery_log.retrieve(connection, org, row.id) for row in rows], cursor

    try:
        records, cursor = await console.run(work, write=False)
    except ApiError as error:
        return console.render(
            "console_webhooks.html",
            error.status,
            nav="webhooks",
            records=None,
            params=params,
            filter_error=error.message,
        )
    return console.render(
        "console_webhooks.html",
        status,
        nav="webhooks",
        records=records,
        cursor=cursor,
        params=params,
        errors=errors or {},
    )


@console_page
async def deliveries(console: Console) -> Response:
    return await render_list(console, console.request.query_params)


@console_page
async def retry(console: Console) -> Response:
    delivery_id, org, now = console.path("delivery_id"), console.organization_id, utc_now()
    try:
        await console.run(lambda c: delivery_log.retry(c, org, delivery_id, now), write=True)
    except ApiError as error:
        return await render_list(console, console.return_params(LIST), error.status, {delivery_id: error.message})
    return console.redirect(console.return_to(LIST), "delivery_retried")


routes = [
    Route(LIST, deliveries, methods=["GET"]),
    Route(LIST + "/deliveries/{delivery_id}/retry", retry, methods=["POST"]),
]
