"""`GET /`: what a browser pointed at the server's root sees (what this server is, and links to the
console, the OpenAPI document and the docs), and `GET /docs`, the README as plain text.

The README comes from the installed package's metadata (its long description), so a wheel serves it
as well as a checkout does.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, metadata

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from uprof import __version__
from uprof.config import Settings
from uprof.pages import html

templates = html.make_templates()
DOCS_PATH = "/docs"


def routes_for(settings: Settings) -> list[BaseRoute]:
    """The two routes, for the server `settings` describe (its base URL, whether it has a console)."""
    context = {
        "version": __version__,
        "base_url": settings.base_url,
        "console": settings.console,
        "metrics": settings.metrics,
        "docs_url": DOCS_PATH,
    }

    async def home(request: Request) -> Response:
        return html.render(templates, request, "home.html", context)

    return [Route("/", home, methods=["GET"]), Route(DOCS_PATH, docs, methods=["GET"])]


def readme() -> str:
    try:
        text = metadata("uprof").json.get("description")
    except PackageNotFoundError:
        text = None
    return text if isinstance(text, str) and text else "uprof's README is not installed with this copy."


async def docs(_request: Request) -> Response:
    return PlainTextResponse(readme(), headers=html.SECURITY_HEADERS)
