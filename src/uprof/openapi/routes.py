"""`GET /openapi.json?revision=…`: the document, built once per revision and kept on the app."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from uprof.http.errors import InvalidRequest
from uprof.openapi.document import REVISIONS, build


async def openapi_document(request: Request) -> Response:
    name = request.query_params.get("revision", "ga")
    if name not in REVISIONS:
        raise InvalidRequest(f"revision: must be one of {', '.join(REVISIONS)}")
    documents: dict[str, dict[str, Any]] = request.app.state.openapi_documents
    if name not in documents:
        documents[name] = build(request.app.router.routes, REVISIONS[name])
    return Response(orjson.dumps(documents[name]), media_type="application/json")


routes = [Route("/openapi.json", openapi_document, methods=["GET"])]
