"""Method and path to operation for `/v1/` requests, in front of Starlette's router.

Nearly every request a server answers is a `/v1/` call, and Starlette's router tries its routes in
order, each through a regular expression, behind its exception middleware. This table finds the
route by the path's first segment after `/v1/` and hands the request straight to its endpoint,
which answers API errors itself (http/endpoint.py; a busy database and any other failure go on to
the edge, http/edge.py). Anything it does not find (another path, an unknown `/v1/` path) goes on
to Starlette's router, which answers as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from uprof.http.endpoint import ApiEndpoint

PREFIX = "/v1/"


class ApiRouter:
    """ASGI middleware (the innermost before Starlette's own) that routes `/v1/` requests itself."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self._by_segment: dict[str, list[Route]] = {}
        for route in routes:
            if isinstance(route, Route) and isinstance(route.app, ApiEndpoint) and route.path.startswith(PREFIX):
                self._by_segment.setdefault(_first_segment(route.path), []).append(route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        if path.startswith(PREFIX):
            for route in self._by_segment.get(_first_segment(path), ()):
                match = route.path_regex.match(path)
                if match is not None:
                    # What Starlette's router would set: the handler's parameters, and the route
                    # that the request log, the metrics and the test double's journal name.
                    scope["path_params"] = match.groupdict()
                    scope["route"] = route
                    await route.app(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _first_segment(path: str) -> str:
    """`user_profiles` of `/v1/user_profiles/…`."""
    return path[len(PREFIX) :].partition("/")[0]
