"""`uprof serve` after its checks: uvicorn running the app in one process or several (cli.md §1.1).

This is what `uvicorn.run` does, except that the `listening on` line is written once the socket is
bound (step 8), not before; a port that is taken ends in SystemExit without it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import tempfile
from typing import Any

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from uprof import logs
from uprof.app import create_app
from uprof.config import WORKER_SETTINGS_VARIABLE, Settings

# uvicorn's exit code for a server that could not start.
STARTUP_FAILURE = 3


def serve(settings: Settings) -> None:
    logs.configure(settings.log_level, settings.log_format)
    listening = f"uprof: listening on http://{settings.host}:{settings.port} (public base URL {settings.base_url})"
    options = uvicorn_options(settings)
    if settings.workers == 1:
        server = AnnouncingServer(uvicorn.Config(create_app(settings), **options), listening)
        # After its graceful shutdown uvicorn re-raises SIGTERM under the handler it found; with the
        # default one the process would die by the signal instead of exiting 0 (cli.md §1.1).
        signal.signal(signal.SIGTERM, _exit_cleanly)
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises SIGINT after its shutdown
            server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    os.environ[WORKER_SETTINGS_VARIABLE] = settings.to_json()
    # Request metrics live in each worker; prometheus-client's multiprocess mode sums them.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="uprof-metrics-"))
    config = uvicorn.Config("uprof.app:create_app_from_environment", factory=True, workers=settings.workers, **options)
    sockets = [config.bind_socket()]  # the workers share it; exits 1 when the port is taken
    click.echo(listening, err=True)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=sockets).run()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,  # uprof writes its own request log (http/edge.py)
        "log_level": "warning",
        "timeout_graceful_shutdown": 10,
        "timeout_keep_alive": 5,
        "server_header": False,
        # httptools, with requests it cannot parse answered in the error envelope (http/protocol.py).
        "http": "uprof.http.protocol:EnvelopeHttpToolsProtocol",
        # One process runs on asyncio's own loop: under saturation uvloop left about 1 % of responses
        # waiting 150-200 ms (list p99 195 ms against 24-34 ms; a bare ASGI app shows the same) for
        # no measurable gain. Several processes sharing one socket need uvloop, which accepts one
        # connection per wake-up: asyncio's loop accepts a whole backlog at once, so one worker took
        # nearly every connection and two were slower than one (docs/performance.md).
        "loop": "asyncio" if settings.workers == 1 else "uvloop",
    }


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says where it listens once its socket is bound and it has started."""

    def __init__(self, config: uvicorn.Config, message: str) -> None:
        super().__init__(config)
        self.message = message

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            click.echo(self.message, err=True)


def _exit_cleanly(_signum: int, _frame: Any) -> None:
    sys.exit(0)
