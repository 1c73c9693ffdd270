"""`uprof serve` after its checks: uvicorn running the app in one process or several (docs/reference/cli.md §1.1).

This is what `uvicorn.run` does, except that the `listening on` line is written once the socket is
bound (step 8), not before; a port that is taken ends in SystemExit without it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from uprof import logs
from uprof.app import build_runtime, create_app
from uprof.config import WORKER_SETTINGS_VARIABLE, Settings
from uprof.db.unit_of_work import Database
from uprof.webhooks.egress import EgressPolicy

# uvicorn's exit code for a server that could not start.
STARTUP_FAILURE = 3
METRICS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def serve(settings: Settings, database: Database | None = None) -> None:
    """Serve until SIGTERM or SIGINT. One process serves with `database` when given (the one `uprof
    serve` migrated: for `sqlite:///:memory:` the only one there is); several open their own."""
    logs.configure(settings.log_level, settings.log_format)
    listening = f"listening on http://{settings.host}:{settings.port} (public base URL {settings.base_url})"
    logs.status(EgressPolicy.from_settings(settings).describe())
    options = uvicorn_options(settings)
    if settings.workers == 1:
        app = create_app(settings, build_runtime(settings, database))
        server = AnnouncingServer(ServerConfig(app, settings.client_timeout, **options), listening)
        # After its graceful shutdown uvicorn re-raises SIGTERM under the handler it found; with the
        # default one the process would die by the signal instead of exiting 0 (docs/reference/cli.md §1.1).
        signal.signal(signal.SIGTERM, _exit_cleanly)
        try:
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises SIGINT after its shutdown
                server.run()
        finally:
            if server.started:
                logs.status("stopped")
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    os.environ[WORKER_SETTINGS_VARIABLE] = settings.to_json()
    with metrics_directory():
        config = ServerConfig(
            "uprof.app:create_app_from_environment",
            settings.client_timeout,
            factory=True,
            workers=settings.workers,
            **options,
        )
        sockets = [config.bind_socket()]  # the workers share it; exits 1 when the port is taken
        logs.status(listening)
        with contextlib.suppress(KeyboardInterrupt):
            AnnouncingMultiprocess(config, sockets=sockets).run()
        logs.status("stopped")


@contextlib.contextmanager
def metrics_directory() -> Iterator[None]:
    """Request metrics live in each worker; prometheus-client's multiprocess mode sums them through
    files in a shared directory: a new one, removed when the server stops, unless the operator
    named one in PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get(METRICS_DIRECTORY_VARIABLE):
        yield
        return
    directory = tempfile.mkdtemp(prefix="uprof-metrics-")
    os.environ[METRICS_DIRECTORY_VARIABLE] = directory
    try:
        yield
    finally:
        del os.environ[METRICS_DIRECTORY_VARIABLE]
        shutil.rmtree(directory, ignore_errors=True)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,  # uprof writes its own request log (http/edge.py)
        "log_level": "warning",
        # As JSON, uvicorn's messages go through uprof's handler (logs.configure); as text they keep
        # uvicorn's own format.
        "log_config": None if settings.log_format == "json" else LOGGING_CONFIG,
        # The client address and scheme of a request come from X-Forwarded-For and X-Forwarded-Proto
        # when the connection comes from one of these proxies (uvicorn's ProxyHeadersMiddleware).
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": 10,
        "timeout_keep_alive": 5,
        "server_header": False,
        # httptools, with the request deadline, the head size limit and errors in the envelope (http/protocol.py).
        "http": "uprof.http.protocol:GuardedHttpToolsProtocol",
        # uprof has no WebSocket routes. With a WebSocket library loaded (uvicorn[standard] brings one)
        # uvicorn would take over a request that asks to upgrade and refuse it with a bare 403; without
        # one, such a request is served as the plain HTTP request it also is, with the API's answer.
        "ws": "none",
        # uvloop: its socket calls are C where asyncio's are Python (a fifth of a retrieve's CPU went
        # to asyncio's socket writes), and several processes sharing one socket need it, as it accepts
        # one connection per wake-up where asyncio's loop accepts a whole backlog, so that one worker
        # took nearly every connection (docs/performance.md).
        "loop": "uvloop",
    }


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration, plus the time a client has to send a whole request, which uprof's
    HTTP protocol enforces (http/protocol.py); it travels to `--workers` processes with the rest."""

    def __init__(self, app: Any, client_timeout: float, **options: Any) -> None:
        super().__init__(app, **options)
        self.client_timeout = client_timeout


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says where it listens once its socket is bound and it has started."""

    def __init__(self, config: uvicorn.Config, message: str) -> None:
        super().__init__(config)
        self.message = message

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:  # the first signal; a second SIGINT forces the exit
            announce_stop(sig)
        super().handle_exit(sig, frame)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            logs.status(self.message)


def announce_stop(signum: int) -> None:
    """The line an operator sees when a signal asks the server to stop (it may take a few seconds)."""
    logs.status(f"received {signal.Signals(signum).name}: stopping once the requests in flight are done")


class AnnouncingMultiprocess(Multiprocess):
    """uvicorn's supervisor of `--workers` processes, saying when a signal stops them."""

    def handle_term(self) -> None:
        announce_stop(signal.SIGTERM)
        super().handle_term()

    def handle_int(self) -> None:
        announce_stop(signal.SIGINT)
        super().handle_int()


def _exit_cleanly(_signum: int, _frame: Any) -> None:
    sys.exit(0)
