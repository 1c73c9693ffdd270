"""Whether `uprof serve` can listen where it was told to, checked before anything else starts: a
taken port then reads as the option to change, not as uvicorn's `[Errno 98]`."""

from __future__ import annotations

import errno
import socket

from uprof.cli.sources import given_as


def cannot_listen(host: str, port: int) -> str | None:
    """Why a server could not listen on `host`:`port` now (None when it can). The socket is bound the
    way uvicorn binds it (SO_REUSEADDR, so a port that only has connections closing is free) and
    closed again at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        return _explain(error, host, port)
    return None


def _explain(error: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    port_given = given_as("port", port)
    if error.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: another program (perhaps another uprof) is using port {port}; stop it, or"
            f" choose a free port with --port or UPROF_PORT (now {port_given})"
        )
    if error.errno == errno.EACCES:
        return (
            f"cannot listen on {where}: permission denied (ports below 1024 need privileges); choose a port"
            f" above 1023 with --port or UPROF_PORT (now {port_given})"
        )
    reason = error.strerror or str(error)
    return (
        f"cannot listen on {where}: {reason}; check --host or UPROF_HOST (now {given_as('host', host)}) and"
        f" --port (now {port_given})"
    )
