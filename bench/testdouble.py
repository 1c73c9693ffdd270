"""The test double's own costs (docs/testing.md §8): what every test of its users pays.

    .venv/bin/python bench/testdouble.py [--database-url URL] [--rounds N]

Prints: the `uprof_server` fixture's start (a fresh SQLite database unless --database-url), one fresh
organization (the `uprof` fixture's one call), the p50 of a retrieve round trip on one keep-alive
connection, and `POST /_uprof/reset` of an organization holding 1,000 profiles. Targets: ≤ 1 s,
≤ 10 ms, ≤ 1 ms and ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from uprof.testing.server import TestServer

HEADERS = {"anthropic-version": "2023-06-01"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    starts = []
    for _ in range(arguments.rounds):
        started = time.perf_counter()
        server = TestServer.start(arguments.database_url)
        starts.append(time.perf_counter() - started)
        if len(starts) < arguments.rounds:
            server.stop()
    try:
        _report("uprof_server fixture start", starts, "s")
        _report("one fresh organization (uprof fixture)", _organizations(server, 200), "ms", 1000)
        org = server.new_organization()
        with httpx.Client(base_url=server.base_url, headers={"x-api-key": org["api_key"], **HEADERS}) as api:
            _report("retrieve round trip, one keep-alive connection", _retrieves(api, 2000), "ms", 1000)
            _report("reset of an organization with 1,000 profiles", _resets(server, arguments.rounds), "ms", 1000)
    finally:
        server.stop()


def _organizations(server: TestServer, count: int) -> list[float]:
    server.new_organization()  # the connection opened
    times = []
    for _ in range(count):
        started = time.perf_counter()
        server.new_organization()
        times.append(time.perf_counter() - started)
    return times


def _retrieves(api: httpx.Client, count: int) -> list[float]:
    profile = api.post("/v1/user_profiles", json={"name": "Bench"}).json()
    path = f"/v1/user_profiles/{profile['id']}"
    for _ in range(100):  # warm up
        api.get(path)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = api.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200
    return times


def _resets(server: TestServer, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        org = server.new_organization()
        headers = {"x-api-key": org["api_key"], **HEADERS}
        with httpx.Client(base_url=server.base_url, headers=headers) as api:
            for number in range(1000):
                api.post("/v1/user_profiles", json={"name": f"profile {number}"}).raise_for_status()
        with httpx.Client(base_url=server.base_url, headers={"x-api-key": org["admin_key"]}) as control:
            started = time.perf_counter()
            deleted = control.post("/_uprof/reset").json()["deleted"]
            times.append(time.perf_counter() - started)
        assert deleted["user_profiles"] == 1000, deleted
    return times


def _report(name: str, samples: list[float], unit: str, scale: float = 1.0) -> None:
    values = sorted(sample * scale for sample in samples)
    p50 = statistics.median(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    print(f"{name:50} p50 {p50:8.3f} {unit}   p90 {p90:8.3f} {unit}   (n={len(values)})")


if __name__ == "__main__":
    main()
