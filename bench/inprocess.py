"""CPU time per request through uprof's ASGI app in this process, without sockets or a load generator.

    .venv/bin/python bench/inprocess.py                       # every operation, 3,000 requests each
    .venv/bin/python bench/inprocess.py retrieve,list -n 1000 # some of them
    .venv/bin/python bench/inprocess.py retrieve --profile    # and where the time goes (cProfile)
    .venv/bin/python bench/inprocess.py retrieve --test-controls  # what the test double's hook adds

The figure isolates the application (routing, checks, database, JSON, request log) from the
server and the network, so it moves little with machine load: the tool for finding and checking a
hot spot before `bench/run` measures the whole stack. Requests run one at a time (`-c N`: N at once)
on a fresh SQLite file (`--database-url`: an empty PostgreSQL database, which it migrates), with the
request log written to /dev/null.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from uprof import logs
from uprof.accounts import service as accounts
from uprof.app import create_app
from uprof.config import Settings
from uprof.crypto.key_file import load_keys
from uprof.db import migrate
from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database

PROFILES = 200
Request = tuple[str, str, bytes]


def requests_for(operation: str, ids: list[str]) -> Callable[[int], Request]:
    by_operation: dict[str, Callable[[int], Request]] = {
        "retrieve": lambda n: ("GET", f"/v1/user_profiles/{ids[n % PROFILES]}", b""),
        "update": lambda n: (
            "POST",
            f"/v1/user_profiles/{ids[n % PROFILES]}",
            orjson.dumps({"metadata": {"k": str(n)}}),
        ),
        "create": lambda n: ("POST", "/v1/user_profiles", orjson.dumps({"name": "bench", "external_id": f"e{n}"})),
        "list": lambda _n: ("GET", "/v1/user_profiles", b""),
        "enrollment_url": lambda n: ("POST", f"/v1/user_profiles/{ids[n % PROFILES]}/enrollment_url", b""),
    }
    return by_operation[operation]


OPERATIONS = ("retrieve", "update", "create", "list", "enrollment_url")


class InProcessClient:
    """Calls the ASGI app as uvicorn would, with the headers the 0.x SDK sends."""

    def __init__(self, app: Any, key: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"bench"),
            (b"x-api-key", key.encode()),
            (b"anthropic-version", b"2023-06-01"),
            (b"anthropic-beta", b"user-profiles-2026-03-24"),
            (b"content-type", b"application/json"),
        ]

    async def call(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"beta=true",
            "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "server": ("bench", 80),
            "client": ("bench", 1),
            "state": {},
        }
        messages: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # no disconnect while the app runs
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, send)
        return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


async def lifespan(app: Any) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, str]]]:
    """Start the app's lifespan (the kept connection, the webhook dispatcher) and return what stops it."""
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send))
    await started.wait()
    return task, inbox


async def measure(
    operations: list[str],
    count: int,
    profile: bool,
    folder: Path,
    test_controls: bool = False,
    database_url: str | None = None,
    concurrency: int = 1,
) -> None:
    url = database_url or f"sqlite:///{folder / 'inprocess.db'}"
    settings = Settings(database_url=url, secret_key_file=str(folder / "uprof.key"), test_controls=test_controls)
    load_keys(settings, create=True)
    database = Database(make_engine(url))
    migrate.upgrade(database)
    key = database.run(lambda connection: accounts.create_key(connection, name="bench"), write=True).key
    database.engine.dispose()
    logs.configure("info", "text")
    logging.getLogger("uprof").handlers[0].setStream(open("/dev/null", "w"))  # noqa: SIM115 (lives as long as the run)
    app = create_app(settings)
    task, inbox = await lifespan(app)
    client = InProcessClient(app, key)
    ids = []
    for n in range(PROFILES):
        status, body = await client.call("POST", "/v1/user_profiles", orjson.dumps({"name": f"profile {n}"}))
        assert status == 200, body
        ids.append(orjson.loads(body)["id"])
    for operation in operations:
        request = requests_for(operation, ids)
        for n in range(PROFILES):  # warm-up
            await client.call(*request(n))
        profiler = cProfile.Profile() if profile else None
        started = time.process_time()
        if profiler:
            profiler.enable()

        async def client_loop(
            first: int, request: Callable[[int], Request] = request, operation: str = operation
        ) -> None:
            for n in range(first, count, concurrency):
                status, body = await client.call(*request(n))
                assert status == 200, (operation, status, body)

        await asyncio.gather(*(client_loop(first) for first in range(concurrency)))
        if profiler:
            profiler.disable()
        per_request = (time.process_time() - started) / count * 1e6
        print(f"{operation:15} {per_request:8.1f} µs CPU per request{' (under cProfile)' if profiler else ''}")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    await inbox.put({"type": "lifespan.shutdown"})
    await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("operations", nargs="?", default=",".join(OPERATIONS), help=f"comma-separated: {OPERATIONS}")
    parser.add_argument("-n", "--count", type=int, default=3000, help="requests per operation [3000]")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 40 by cumulative time")
    parser.add_argument("--test-controls", action="store_true", help="with the test double's hook")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a fresh SQLite file")
    parser.add_argument("-c", "--concurrency", type=int, default=1, help="requests in flight at once [1]")
    options = parser.parse_args()
    operations = options.operations.split(",")
    unknown = set(operations) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operation(s): {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="uprof-inprocess-") as folder:
        asyncio.run(
            measure(
                operations,
                options.count,
                options.profile,
                Path(folder),
                options.test_controls,
                options.database_url,
                options.concurrency,
            )
        )


if __name__ == "__main__":
    main()
