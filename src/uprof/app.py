"""create_app(settings): the ASGI application with its routes, middleware and error handlers."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from uprof import logs, metrics, probes
from uprof.config import WORKER_SETTINGS_VARIABLE, Settings
from uprof.console import routes as console
from uprof.controls import clock_follower
from uprof.controls import routes as controls
from uprof.controls.hook import TestControlsHook
from uprof.crypto import server_keys
from uprof.crypto.key_file import load_keys
from uprof.crypto.sealing import SecretBox
from uprof.data_controls import routes as data_controls
from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database, DatabaseBusy
from uprof.external_keys import routes as external_keys
from uprof.http.api_router import ApiRouter
from uprof.http.context import request_context
from uprof.http.edge import Edge
from uprof.http.errors import ApiError, HttpLayerError, MethodNotAllowed, Overloaded, error_body, not_found_route
from uprof.http.pagination import CursorCodec
from uprof.http.runtime import Runtime
from uprof.openapi import routes as openapi
from uprof.pages import errors as page_errors
from uprof.pages import home
from uprof.pages import routes as pages
from uprof.pages import service as link_pages
from uprof.profiles import routes as profiles
from uprof.provider import routes as admin
from uprof.provider.chores import DISPATCHER_CHORES
from uprof.webhooks import dispatcher
from uprof.webhooks import routes as webhooks
from uprof.webhooks.metrics import DatabaseCollector

CURSOR_SECRET = "cursor_signing_key"


def build_runtime(settings: Settings, database: Database | None = None) -> Runtime:
    """What the app shares, on `database` or else on a new engine for `settings.database_url` (an
    in-memory SQLite database exists only in the engine that made it: pass that one).

    Raises SecretKeyError (uprof.crypto.key_file) when the secret key settings name no usable key.
    """
    box = SecretBox(load_keys(settings, create=False).keys)
    if database is None:
        database = Database(make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous))
    key = database.run(lambda connection: server_keys.load_or_create(connection, CURSOR_SECRET), write=True)
    return Runtime(settings=settings, database=database, cursors=CursorCodec(key), secret_box=box)


def create_app(settings: Settings, runtime: Runtime | None = None) -> Starlette:
    """The uprof application for `settings` (the database must already be migrated, the key file
    created: `uprof serve` does both).

    Its lifespan runs this process's webhook dispatcher, stopped (leases released) on shutdown.
    Raises SecretKeyError (uprof.crypto.key_file) when the secret key settings name no usable key.
    """
    runtime = runtime or build_runtime(settings)
    database = runtime.database
    routes = [
        *profiles.routes,
        *probes.routes(metrics=settings.metrics),
        *openapi.routes,
        *admin.routes,
        *webhooks.routes,
        *data_controls.routes,
        *external_keys.routes,
        *pages.routes,
        *home.routes_for(settings),
        *(console.routes if settings.console else []),
        *(controls.routes if settings.test_controls else []),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Edge, page_error=page_errors.last_resort),
            *([Middleware(TestControlsHook, runtime=runtime)] if settings.test_controls else []),
            Middleware(ApiRouter, routes=routes),  # /v1/ requests go no further than this
        ],
        exception_handlers={
            ApiError: render_api_error,
            HTTPException: render_http_exception,
            DatabaseBusy: render_database_busy,
        },
        lifespan=lambda _app: _lifespan(runtime, settings),
    )
    app.router.redirect_slashes = False
    app.state.runtime = runtime
    app.state.page_csrf_key = database.run(link_pages.load_csrf_key, write=True)
    app.state.metrics_registry = metrics.registry_for([DatabaseCollector(database)])
    app.state.openapi_documents = {}  # filled on first request, one document per revision
    return app


@asynccontextmanager
async def _lifespan(runtime: Runtime, settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """The webhook dispatcher runs; on SQLite, the event loop (which runs every API request there)
    keeps one connection; on PostgreSQL the database threads stop (and give their connections back)
    when the app does."""
    database, box, threads = runtime.database, runtime.secret_box, runtime.database_threads
    keep = database.connection_kept_for_this_thread() if threads is None else nullcontext()
    try:
        with keep:
            async with (
                dispatcher.running(database, settings, box, DISPATCHER_CHORES) as state,
                clock_follower.following(database, on=settings.test_controls),
            ):
                # What start-up made (modules, tables, compiled statements) lives as long as the process:
                # frozen, it is left out of the full garbage collections that would otherwise re-scan it
                # all (about 40 ms, stalling every request in flight) while requests run.
                gc.freeze()
                yield state
    finally:
        if threads is not None:
            await threads.stop()


def create_app_from_environment() -> Starlette:
    """The factory each `uprof serve --workers N` process calls; settings arrive from the parent process.

    Worker processes are spawned, not forked, so each sets up its own logging.
    """
    settings = Settings.from_json(os.environ[WORKER_SETTINGS_VARIABLE])
    logs.configure(settings.log_level, settings.log_format)
    return create_app(settings)


async def render_api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    if page_errors.is_page_path(request.scope["path"]):
        return page_errors.error_page(request, error.status, error.headers)
    body = error_body(error, request_context(request.scope).request_id)
    return Response(body, status_code=error.status, media_type="application/json", headers=error.headers)


async def render_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if page_errors.is_page_path(request.scope["path"]):
        if error.status_code == 405:
            return page_errors.not_allowed_page(request)
        return page_errors.error_page(request, error.status_code)
    if error.status_code == 404:
        api_error: ApiError = not_found_route()
    elif error.status_code == 405:
        allow = (error.headers or {}).get("Allow", "")
        api_error = MethodNotAllowed(
            f"method {request.method} is not allowed on {request.url.path}", headers={"allow": allow}
        )
    else:
        api_error = HttpLayerError(error.status_code, str(error.detail).lower())
    return await render_api_error(request, api_error)


async def render_database_busy(request: Request, error: Exception) -> Response:
    return await render_api_error(request, Overloaded())
