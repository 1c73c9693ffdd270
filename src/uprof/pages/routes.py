"""HTTP handlers of the end-user pages: the enrollment page and the verification portal
(docs/reference/provider.md §2–4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from uprof.http.runtime import Runtime
from uprof.links import service as links
from uprof.links.service import LinkState
from uprof.pages import forms, html
from uprof.pages import service as pages
from uprof.pages.html import FormRejected, Submitted
from uprof.pages.service import LinkUnavailable, LinkView, PreconditionFailed
from uprof.pages.texts import TEXTS
from uprof.timestamps import utc_now

templates = html.make_templates()
FORBIDDEN = (
    "This form could not be accepted because its security token is missing or wrong. Reload the page and try again."
)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _csrf_key(request: Request) -> bytes:
    key: bytes = request.app.state.page_csrf_key
    return key


def _render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return html.render(templates, request, template, {"texts": TEXTS, **context}, status)


def _unavailable(request: Request, state: LinkState) -> Response:
    status = 404 if state is LinkState.UNKNOWN else 410
    return _render(request, "link_unavailable.html", status, unknown=state is LinkState.UNKNOWN)


def _problem(request: Request, status: int, heading: str, message: str, back: str | None = None) -> Response:
    return _render(request, "problem.html", status, heading=heading, message=message, back=back)


async def _view(request: Request, kind: str) -> LinkView | Response:
    token = request.path_params["token"]
    try:
        return await _runtime(request).run(lambda c: pages.open_link(c, token, kind, utc_now()), write=False)
    except LinkUnavailable as unavailable:
        return _unavailable(request, unavailable.state)


async def _accepted_form(request: Request, kind: str) -> tuple[LinkView, FormData] | Response:
    """A posted form through a valid link with a correct CSRF token, or the page that says why not."""
    try:
        form = await html.read_form(request, _runtime(request).settings.max_body_bytes)
    except FormRejected as rejected:
        return _problem(request, rejected.status, "We could not accept this form", rejected.message)
    view = await _view(request, kind)
    if isinstance(view, Response):
        return view
    if not pages.csrf_matches(_csrf_key(request), view.token_sha256, forms.text(form, "csrf_token")):
        return _problem(request, 403, "This form has expired", FORBIDDEN)
    return view, form


async def _submit(request: Request, work: Callable[[Connection], None], done: str) -> Response | None:
    """Run a submission in one write unit of work and confirm it; None when the profile's state refused it."""
    try:
        await _runtime(request).run(work, write=True)
    except LinkUnavailable as unavailable:
        return _unavailable(request, unavailable.state)
    except PreconditionFailed:
        return None
    return _render(request, "done.html", done=done)


def _conflict(request: Request) -> Response:
    token = request.path_params["token"]
    return _problem(
        request,
        409,
        "This can’t be done right now",
        "Your account changed since this page was loaded, so the form no longer applies. "
        "Open the page again to see where things stand.",
        back=f"/portal/{token}",
    )


# --- enrollment page (docs/reference/provider.md §3) ---


def _enrollment(request: Request, view: LinkView, status: int = 200, **context: Any) -> Response:
    csrf = pages.csrf_token(_csrf_key(request), view.token_sha256)
    return _render(request, "enrollment.html", status, view=view, csrf=csrf, **context)


async def enrollment_page(request: Request) -> Response:
    view = await _view(request, links.ENROLLMENT)
    return view if isinstance(view, Response) else _enrollment(request, view)


async def submit_enrollment(request: Request) -> Response:
    accepted = await _accepted_form(request, links.ENROLLMENT)
    if isinstance(accepted, Response):
        return accepted
    view, form = accepted
    if not view.may_apply("cyber"):
        return _enrollment(request, view)
    application = forms.application(form, "cyber")
    if isinstance(application, dict):
        return _enrollment(request, view, 400, errors=application, values=Submitted(form))
    token, now = request.path_params["token"], utc_now()
    shown = await _submit(
        request, lambda c: pages.apply(c, token, links.ENROLLMENT, application, "enrollment_url", now), "application"
    )
    if shown is not None:
        return shown
    # Someone applied through another link meanwhile: the status page, nothing changed.
    current = await _view(request, links.ENROLLMENT)
    return current if isinstance(current, Response) else _enrollment(request, current)


# --- verification portal (docs/reference/provider.md §4) ---


def _portal(request: Request, view: LinkView, status: int = 200, **context: Any) -> Response:
    csrf = pages.csrf_token(_csrf_key(request), view.token_sha256)
    token = request.path_params["token"]
    return _render(request, "portal.html", status, view=view, csrf=csrf, base=f"/portal/{token}", **context)


async def portal_page(request: Request) -> Response:
    view = await _view(request, links.PORTAL)
    return view if isinstance(view, Response) else _portal(request, view)


async def portal_apply(request: Request) -> Response:
    accepted = await _accepted_form(request, links.PORTAL)
    if isinstance(accepted, Response):
        return accepted
    view, form = accepted
    program = forms.text(form, "program")
    if program not in ("cyber", "efs"):
        return _problem(request, 400, "We could not accept this form", "Choose a program to apply to.")
    if not view.may_apply(program):
        return _conflict(request)
    application = forms.application(form, program)
    if isinstance(application, dict):
        return _portal(request, view, 400, posted=program, errors=application, values=Submitted(form))
    token, now = request.path_params["token"], utc_now()
    shown = await _submit(
        request, lambda c: pages.apply(c, token, links.PORTAL, application, "portal", now), "application"
    )
    return shown or _conflict(request)


async def portal_verify(request: Request) -> Response:
    accepted = await _accepted_form(request, links.PORTAL)
    if isinstance(accepted, Response):
        return accepted
    view, form = accepted
    if not view.can_verify:
        return _conflict(request)
    details = forms.identity(form)
    if isinstance(details, dict):
        return _portal(request, view, 400, posted="verify", errors=details, values=Submitted(form))
    token, now = request.path_params["token"], utc_now()
    shown = await _submit(request, lambda c: pages.verify(c, token, details, now), "identity")
    return shown or _conflict(request)


async def to_portal(request: Request) -> Response:
    """A form address opened in the address bar (a reload, a copied URL): the portal page it belongs to."""
    return RedirectResponse(f"/portal/{request.path_params['token']}", 303, headers=html.SECURITY_HEADERS)


routes: list[BaseRoute] = [
    Mount("/static", app=html.StaticWithHeaders(html.STATIC_DIR), name="static"),
    Route("/enroll/{token}", enrollment_page, methods=["GET"]),
    Route("/enroll/{token}", submit_enrollment, methods=["POST"]),
    Route("/portal/{token}", portal_page, methods=["GET"]),
    Route("/portal/{token}/apply", portal_apply, methods=["POST"]),
    Route("/portal/{token}/apply", to_portal, methods=["GET"]),
    Route("/portal/{token}/verify", portal_verify, methods=["POST"]),
    Route("/portal/{token}/verify", to_portal, methods=["GET"]),
]
