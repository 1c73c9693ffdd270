"""What every HTML page shares (end-user pages and console): templates, headers, reading a form.

Pages answer in HTML even when something goes wrong with the request itself, so reading a form
turns the body rules of docs/reference/http.md §9–10 into a `FormRejected` the page renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from python_multipart.exceptions import FormParserError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uprof.http import body as request_body
from uprof.http.errors import ApiError

PAGES_DIR = Path(__file__).parent
STATIC_DIR = PAGES_DIR / "static"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 200

# Same-origin stylesheet and form targets only: no scripts, no frames, no inline styles.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def long_date(moment: datetime | None) -> str:
    """`26 November 2026, 10:25 UTC`, as the end-user pages write times."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def short_time(moment: datetime | None) -> str:
    """`2026-11-26 10:25:03 UTC`, as the console writes times."""
    return "" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def make_templates(*directories: Path) -> Jinja2Templates:
    """Templates from `directories`, then the shared ones here (base.html, form macros)."""
    templates = Jinja2Templates(directory=[*directories, PAGES_DIR / "templates"])
    templates.env.filters["long_date"] = long_date
    templates.env.filters["short_time"] = short_time
    return templates


def render(
    templates: Jinja2Templates,
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, dict(context), status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
    )


class Submitted:
    """A posted form as templates read it back into its fields after a validation error."""

    def __init__(self, form: FormData) -> None:
        self.form = form

    def get(self, name: str) -> str:
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def has(self, name: str, value: str) -> bool:
        return value in self.form.getlist(name)


class FormRejected(Exception):
    """A form body the page cannot read: too large, not url-encoded, malformed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request, limit: int) -> FormData:
    """The url-encoded form of a POST, read within the body limit. Raises FormRejected."""
    headers = request.headers
    try:
        request_body.check_declared_length(headers.get("content-length"), limit)
        request_body.check_encoding(headers.get("content-encoding"))
    except ApiError as error:
        raise FormRejected(error.status, _sentence(error.message)) from None
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    limited = Request(request.scope, _limited(request.receive, limit))
    if media_type != FORM_TYPE:
        if not media_type and not await _read(limited):
            return FormData()  # an empty post: no fields, so no CSRF token either
        raise FormRejected(400, "The form could not be read: it must be sent as application/x-www-form-urlencoded.")
    try:
        form = await limited.form(max_files=0, max_fields=MAX_FIELDS)
    except ApiError as error:
        raise FormRejected(error.status, _sentence(error.message)) from None
    except (HTTPException, MultiPartException, FormParserError):
        raise FormRejected(400, "The form could not be read.") from None
    if any("\x00" in key or "\x00" in str(value) for key, value in form.multi_items()):
        raise FormRejected(400, "The form contains a character that is not allowed.")
    return form


async def _read(request: Request) -> bytes:
    try:
        return await request.body()
    except ApiError as error:
        raise FormRejected(error.status, _sentence(error.message)) from None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that refuses the body as soon as it passes `limit` bytes (chunked bodies too)."""
    seen = 0

    async def receive_within_limit() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise request_body.too_large(limit)
        return message

    return receive_within_limit


class StaticWithHeaders:
    """The stylesheet, with `nosniff` so it is only ever used as CSS."""

    def __init__(self, directory: Path) -> None:
        self.files: ASGIApp = StaticFiles(directory=str(directory))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-cache")]
                message = {**message, "headers": headers}
            await send(message)

        await self.files(scope, receive, send_with_headers)
