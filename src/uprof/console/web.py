"""What every console handler shares: the session cookie, CSRF on posted forms, rendering, redirects."""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from sqlalchemy import Connection
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from uprof.console import session as sessions
from uprof.console.session import ConsoleSession
from uprof.http.runtime import Runtime
from uprof.pages import html
from uprof.pages.html import FormRejected
from uprof.pages.texts import TEXTS
from uprof.timestamps import utc_now

T = TypeVar("T")

templates = html.make_templates(Path(__file__).parent / "templates")


def query_with(params: QueryParams, **changes: str) -> str:
    """The query string of `params` with `changes` applied (and no notice), for pager links."""
    kept = [(k, v) for k, v in params.multi_items() if k not in changes and k != "notice"]
    return urlencode(kept + list(changes.items()))


templates.env.filters["query_with"] = query_with
COOKIE = "uprof_session"
COOKIE_PATH = "/console"
FORBIDDEN = "The form’s security token is missing or wrong. Reload the page and try again."
# Where a form may send the operator back to: a console path with a plain query, never another site.
_RETURN_TO = re.compile(r"/console(/[A-Za-z0-9_\-/]*)?(\?[A-Za-z0-9_\-=&%.+~]*)?")

NOTICES = {
    "approved": "Enrollment approved.",
    "rejected": "Enrollment rejected.",
    "check_approved": "Identity check approved; the restrictions it can clear are resolved.",
    "check_rejected": "Identity check rejected.",
    "program_saved": "Program standing saved.",
    "program_cleared": "Program standing removed.",
    "action_opened": "Enforcement action opened.",
    "action_resolved": "Enforcement action resolved.",
    "delivery_retried": "Delivery queued for another attempt.",
    "endpoint_saved": "Webhook endpoint saved.",
    "endpoint_enabled": "Webhook endpoint enabled: events from now on are delivered to it.",
    "endpoint_disabled": "Webhook endpoint disabled: its pending deliveries are cancelled.",
    "endpoint_deleted": "Webhook endpoint deleted, with its delivery log.",
    "control_suspended": "Data control suspended: every region of it reads suspended.",
    "control_restored": "Data control restored.",
    "region_decided": "Region decided.",
    "validation_saved": "Saved: validating the key answers this from now on.",
}


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def secure_cookies(request: Request) -> bool:
    """Cookies go out `Secure` when this request came over https (as a trusted proxy reports it, see
    `--forwarded-allow-ips`) or the public base URL is https."""
    return request.url.scheme == "https" or runtime_of(request).settings.base_url.startswith("https://")


@dataclass
class Console:
    """One signed-in console request."""

    request: Request
    runtime: Runtime
    session: ConsoleSession
    form: FormData | None = None

    @property
    def organization_id(self) -> str:
        return self.session.organization_id

    def path(self, name: str) -> str:
        return unquote(self.request.path_params[name])

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.replace("\r\n", "\n") if isinstance(value, str) else ""

    def fields(self, name: str) -> list[str]:
        return [value for value in (self.form.getlist(name) if self.form else []) if isinstance(value, str)]

    async def run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        return await self.runtime.run(work, write=write)

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        notice = NOTICES.get(self.request.query_params.get("notice", ""))
        base = {
            "csrf": self.session.csrf_token,
            "signed_in": True,
            "notice": notice,
            "here": self.here(),
            "texts": TEXTS,
        }
        return html.render(templates, self.request, template, {**base, **context}, status)

    def here(self) -> str:
        """The page being shown (without a notice), for forms that come back to it. A page shown in
        answer to a post (with the form's error) is the page the form came from."""
        if self.request.method == "POST":
            return self.return_to(_page_of(self.request.url.path))
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "notice"]
        return self.request.url.path + (f"?{urlencode(query)}" if query else "")

    def return_to(self, default: str) -> str:
        """The page a posted form came from, if it is a console page; else `default`."""
        value = self.field("return_to")
        return value if _RETURN_TO.fullmatch(value) else default

    def return_params(self, default: str) -> QueryParams:
        return QueryParams(urlsplit(self.return_to(default)).query)

    def redirect(self, target: str, notice: str) -> Response:
        parts = urlsplit(target)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "notice"] + [("notice", notice)]
        return see_other(f"{parts.path}?{urlencode(query)}")


def _page_of(post_path: str) -> str:
    """`/console/profiles/<id>/programs/cyber` → `/console/profiles/<id>`; `/console/enrollments/<id>/…` →
    `/console/enrollments`."""
    parts = post_path.split("/")[2:]
    return "/console/" + "/".join(parts[:2] if parts[0] == "profiles" else parts[:1])


def see_other(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers=html.SECURITY_HEADERS)


def problem(request: Request, status: int, heading: str, message: str) -> Response:
    return html.render(templates, request, "console_problem.html", {"heading": heading, "message": message}, status)


def to_login(request: Request, *, clear: bool) -> Response:
    response = see_other("/console/login")
    if clear:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=secure_cookies(request), httponly=True)
    return response


Handler = Callable[[Console], Awaitable[Response]]


def console_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint for signed-in operators: no live session → sign-in page; a POST needs the CSRF token."""

    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request)
        token = request.cookies.get(COOKIE, "")
        session = await live_session(runtime, token) if token else None
        if session is None:
            return to_login(request, clear=bool(token))
        if _has_nul(request):  # no stored value holds one, and PostgreSQL refuses to compare with it
            return problem(
                request, 400, "This address could not be read", "It contains a character that is not allowed."
            )
        console = Console(request, runtime, session)
        if request.method == "POST":
            try:
                console.form = await html.read_form(request, runtime.settings.max_body_bytes)
            except FormRejected as rejected:
                return problem(request, rejected.status, "The form could not be read", rejected.message)
            if not hmac.compare_digest(
                console.field("csrf_token").encode("utf-8", "surrogatepass"), session.csrf_token.encode()
            ):
                return problem(request, 403, "This form has expired", FORBIDDEN)
        return await handler(console)

    return endpoint


def _has_nul(request: Request) -> bool:
    values = [unquote(value) for value in request.path_params.values()]
    values += [text for item in request.query_params.multi_items() for text in item]
    return any("\x00" in value for value in values)


async def live_session(runtime: Runtime, token: str) -> ConsoleSession | None:
    """The session a cookie names; a session that ended (expired, key revoked) is deleted on the way."""
    now = utc_now()
    checked = await runtime.run(lambda c: sessions.check(c, token, now), write=False)
    if checked.ended is not None:
        ended = checked.ended
        await runtime.run(lambda c: sessions.end(c, ended), write=True)
    return checked.session
