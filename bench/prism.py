"""Prism, the peer: the mock server the official SDKs' generated tests run against, serving uprof's own
OpenAPI document. bench/run installs it with npm into bench/.prism/ (git-ignored) when --peers or --all asks.

Prism answers every request with an example built from the document's schemas, so it does no storage at
all: it is the price of answering the same request with nothing behind it, in another runtime (Node.js).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from servers import BENCH_DIR, Server, free_port, launch, wait_until_serving

INSTALL_DIR = BENCH_DIR / ".prism"
BINARY = INSTALL_DIR / "node_modules" / ".bin" / "prism"
PACKAGE = INSTALL_DIR / "node_modules" / "@stainless-api" / "prism-cli" / "package.json"
# Its fastest single-process setting: static examples (no --dynamic), no CORS headers, no request log. At its
# default level (as the SDKs' scripts/mock run it) Prism logs every request and every violation it finds: about
# 1,000 instead of 1,300 req/s on retrieve here, so the defaults would flatter uprof.
OPTIONS = ("--errors", "false", "--cors", "false", "--verboseLevel", "silent")
# Node compiles its hot code while it runs: here Prism's first 3 s under load ran at less than half the req/s of
# the next 3 s. Its warm-up (thrown away) is at least this long so that the comparison does not flatter uprof.
WARMUP_SECONDS = 5


def version() -> str | None:
    """The installed Prism version, or None when bench/run did not (or could not) install it."""
    if not BINARY.exists() or not PACKAGE.exists():
        return None
    return str(json.loads(PACKAGE.read_text())["version"])


def save_document(port: int, revision: str, path: Path) -> Path:
    """uprof's OpenAPI document for `revision`, as the uprof server on `port` serves it, written to `path`."""
    url = f"http://127.0.0.1:{port}/openapi.json?revision={revision}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        path.write_bytes(answer.read())
    return path


def start(document: Path, log_dir: Path) -> Server:
    port = free_port()
    command = [str(BINARY), "mock", str(document), "--port", str(port), "--host", "127.0.0.1", *OPTIONS]
    server = launch("Prism", command, port, log_dir)
    server.name = f"Prism {version()}"
    # Prism has no health route: an answer of any status (here 404, no path matched) means it is serving.
    wait_until_serving(server, "/", expect=None)
    return server
