"""The HTML error page of the end-user pages and the console: a missing page, a method the address does
not take, a busy database, a server fault.

A browser on `/enroll/…`, `/portal/…` or `/console/…` gets a small page in the pages' layout, with their
security headers and the request ID in small print, never the API's JSON envelope; every other path
(`/v1/…`, the machine endpoints, unknown roots) keeps the envelope (docs/reference/http.md §17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from uprof.http.context import request_context
from uprof.pages import html

PAGE_ROOTS = frozenset({"enroll", "portal", "console"})
templates = html.make_templates()


@dataclass(frozen=True)
class Wording:
    heading: str
    message: str


_END_USER = {
    404: Wording(
        "Page not found",
        "There is no page at this address. If you followed a link, check that you copied all of it, "
        "or ask the service that sent it for a new one.",
    ),
    405: Wording(
        "This page can’t be opened this way",
        "The address only takes a form sent from its page. Open the link you were given again.",
    ),
    500: Wording(
        "Something went wrong",
        "We could not complete your request because of a problem on our side. Please try again in a moment.",
    ),
    529: Wording(
        "We are busy right now",
        "Too many requests are being handled at the moment. Please wait a little and try again.",
    ),
}
_CONSOLE = {
    **_END_USER,
    404: Wording("Page not found", "There is no console page at this address."),
    405: Wording(
        "This page can’t be opened this way",
        "The address only takes a form sent from a console page. Go back to the console and use its forms.",
    ),
}
_OTHER = Wording("This request could not be handled", "Please go back and try again.")


def _root(path: str) -> str:
    """The first segment of `path` (`console` for `/console/profiles`), "" for a path without one."""
    return path.split("/", 2)[1] if path.startswith("/") else ""


def is_page_path(path: str) -> bool:
    """Whether `path` belongs to the end-user pages or the console, whose errors are HTML pages."""
    return _root(path) in PAGE_ROOTS


def error_page(request: Request, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """The HTML page for an error `status` on a page path, with the request ID to quote."""
    console = _root(request.scope["path"]) == "console"
    wording = (_CONSOLE if console else _END_USER).get(status, _OTHER)
    context = {
        "heading": wording.heading,
        "message": wording.message,
        "console": console,
        "request_id": request_context(request.scope).request_id,
    }
    return html.render(templates, request, "error.html", context, status, headers)


def not_allowed_page(request: Request) -> Response:
    """The HTML 405 for a page path, its `allow` header naming every method some page route takes there."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return error_page(request, 405, {"allow": ", ".join(sorted(methods))})


def last_resort(scope: Scope, status: int) -> Response | None:
    """The page for a 500 or 529 no handler answered (uprof.http.edge), or None off the page paths."""
    return error_page(Request(scope), status) if is_page_path(scope["path"]) else None
