"""The operator console under /console (docs/reference/provider.md §6): sign-in, sign-out, dashboard, and every
route."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from uprof.console import data_controls, enrollments, identity_checks, profiles, service, webhook_endpoints, webhooks
from uprof.console import session as sessions
from uprof.console.session import SignInRefused
from uprof.console.throttle import SignInThrottle
from uprof.console.web import (
    COOKIE,
    COOKIE_PATH,
    FORBIDDEN,
    Console,
    console_page,
    live_session,
    problem,
    runtime_of,
    secure_cookies,
    see_other,
    templates,
    to_login,
)
from uprof.pages import html
from uprof.pages.html import FormRejected
from uprof.timestamps import utc_now

# Before there is a session, the sign-in form is protected by a double-submit cookie.
LOGIN_COOKIE = "uprof_login"
LOGIN_PATH = "/console/login"


def _login_page(request: Request, token: str, status: int = 200, error: str | None = None) -> Response:
    response = html.render(templates, request, "console_login.html", {"csrf": token, "error": error}, status)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    return response


async def login_page(request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    if token and await live_session(runtime_of(request), token) is not None:
        return see_other("/console")
    response = _login_page(request, secrets.token_urlsafe(32))
    if token:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, secure=secure_cookies(request))
    return response


async def login(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        form = await html.read_form(request, runtime.settings.max_body_bytes)
    except FormRejected as rejected:
        return problem(request, rejected.status, "The form could not be read", rejected.message)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    presented = form.get("csrf_token")
    if not expected or not isinstance(presented, str) or not hmac.compare_digest(_bytes(expected), _bytes(presented)):
        return problem(request, 403, "This form has expired", FORBIDDEN)
    throttle, client = _throttle(request), request.client.host if request.client else ""
    wait = throttle.take(client)
    if wait is not None:
        return _too_many_sign_ins(request, wait)
    key = form.get("api_key")
    now = utc_now()
    try:
        created = await runtime.run(lambda c: sessions.sign_in(c, key if isinstance(key, str) else "", now), write=True)
    except SignInRefused as refused:
        return _login_page(request, secrets.token_urlsafe(32), refused.status, refused.message)
    throttle.refund(client)
    response = see_other("/console")
    response.set_cookie(
        COOKIE,
        created.token,
        max_age=int(sessions.LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH, httponly=True, samesite="strict")
    return response


def _throttle(request: Request) -> SignInThrottle:
    """This process's sign-in throttle, made on first use."""
    state = request.app.state
    if not hasattr(state, "console_sign_in_throttle"):
        state.console_sign_in_throttle = SignInThrottle()
    throttle: SignInThrottle = state.console_sign_in_throttle
    return throttle


def _too_many_sign_ins(request: Request, seconds: int) -> Response:
    message = f"Too many sign-ins failed from your address. Wait {seconds} seconds, then try again."
    response = problem(request, 429, "Too many failed sign-ins", message)
    response.headers["retry-after"] = str(seconds)
    return response


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@console_page
async def logout_page(console: Console) -> Response:
    return console.render("console_logout.html")


@console_page
async def logout(console: Console) -> Response:
    token_sha256 = console.session.token_sha256
    await console.run(lambda c: sessions.end(c, token_sha256), write=True)
    return to_login(console.request, clear=True)


@console_page
async def dashboard(console: Console) -> Response:
    org, now = console.organization_id, utc_now()
    counts = await console.run(lambda c: service.dashboard_counts(c, org, now), write=False)
    return console.render("console_dashboard.html", counts=counts, nav="dashboard")


routes = [
    Route("/console", dashboard, methods=["GET"]),
    Route("/console/login", login_page, methods=["GET"]),
    Route("/console/login", login, methods=["POST"]),
    Route("/console/logout", logout_page, methods=["GET"]),
    Route("/console/logout", logout, methods=["POST"]),
    *enrollments.routes,
    *identity_checks.routes,
    *webhooks.routes,
    *webhook_endpoints.routes,
    *profiles.routes,
    *data_controls.routes,
]
