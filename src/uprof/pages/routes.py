"""End-user pages reached through links. For now: the enrollment page shows the profile's standing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from uprof.http.services import Services
from uprof.links import service as links
from uprof.links.service import LinkState
from uprof.profiles import repository as profiles
from uprof.timestamps import utc_now

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# Pages must never be framed or run foreign code.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}

_STATUS_TEXT = {"active": "Active", "pending": "Under review", "rejected": "Not approved"}


async def enrollment_page(request: Request) -> HTMLResponse:
    services: Services = request.app.state.services
    token = request.path_params["token"]
    state, profile = await run_in_threadpool(_lookup, services, token)
    if state is not LinkState.VALID or profile is None:
        status = 404 if state is LinkState.UNKNOWN else 410
        return _render(request, "link_unavailable.html", {"state": state.value}, status)
    cyber = profile["cyber"]
    context = {
        "profile_name": profile["name"],
        "cyber_status": _STATUS_TEXT.get(cyber["status"]) if cyber else None,
    }
    return _render(request, "enrollment.html", context, 200)


def _lookup(services: Services, token: str) -> tuple[LinkState, Any]:
    with services.database.unit_of_work(write=False) as connection:
        state, link = links.resolve(connection, token, links.ENROLLMENT, utc_now())
        if link is None:
            return state, None
        profile = profiles.get(connection, link.organization_id, link.user_profile_id)
        if profile is None:
            return LinkState.UNKNOWN, None
        return state, profile._mapping


def _render(request: Request, template: str, context: dict[str, Any], status: int) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, context, status_code=status, headers=SECURITY_HEADERS)
    return response


routes = [Route("/enroll/{token}", enrollment_page, methods=["GET"])]
