"""Concurrent updates of ONE profile through three server processes on the same database
(docs/reference/profiles.md §4.3: updates are applied one after another; for the same key the later commit wins).

Eight client threads spread over the three processes update the profile at once. Every request
must succeed (no 5xx, in particular no 529, and no response mentioning a locked database). Then the
accepted requests must form a serial history: ordered by the `updated_at` of their responses (which
the server makes strictly increasing per profile, in commit order), replaying their metadata merges
one after another reproduces every response's metadata exactly, and the final stored state is the
last step of that replay; so the response with the greatest `updated_at` carries the final value.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.databases import backend_of
from tests.e2e.conftest import Server, Tenant, start_server, stop_server
from tests.e2e.reliability_support import GA, record_figures
from uprof.profiles.service import merge_metadata

THREADS = 8
REQUESTS_PER_THREAD = 25
BASE_METADATA = {"base": "kept"}


@pytest.fixture(scope="module")
def servers(server: Server) -> Iterator[list[Server]]:
    """The session's server and two more `uprof serve` processes on its database."""
    others = [start_server(server.database_url) for _ in range(2)]
    yield [server, *others]
    for other in others:
        stop_server(other)


def body_for(mode: str, thread: int, index: int) -> dict[str, Any]:
    """Same key: every request sets `shared`. Different keys: each thread sets (and every fourth
    request deletes) its own key. Both: each request does both at once."""
    metadata: dict[str, str] = {}
    if mode in ("same-key", "both"):
        metadata["shared"] = f"t{thread}-{index}"
    if mode in ("different-keys", "both"):
        metadata[f"own{thread}"] = "" if index % 4 == 3 else f"v{index}"
    return {"metadata": metadata}


@pytest.mark.parametrize("mode", ["same-key", "different-keys", "both"])
def test_concurrent_updates_of_one_profile_are_serial(servers: list[Server], tenant: Tenant, mode: str) -> None:
    headers = {"x-api-key": tenant.key, **GA}
    created = httpx.post(
        f"{servers[0].url}/v1/user_profiles", headers=headers, json={"name": "contended", "metadata": BASE_METADATA}
    )
    assert created.status_code == 200, created.text
    path = f"/v1/user_profiles/{created.json()['id']}"
    results: list[tuple[dict[str, Any], httpx.Response]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def writer(thread: int) -> None:
        base_url = servers[thread % len(servers)].url
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            start.wait()
            for index in range(REQUESTS_PER_THREAD):
                body = body_for(mode, thread, index)
                response = client.post(path, json=body)
                with lock:
                    results.append((body, response))

    began = time.monotonic()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    seconds = time.monotonic() - began
    assert not any(thread.is_alive() for thread in threads)

    statuses = Counter(response.status_code for _, response in results)
    locked = [response.text for _, response in results if "locked" in response.text.lower()]
    assert locked == []
    assert statuses == {200: THREADS * REQUESTS_PER_THREAD}, statuses

    history = sorted(results, key=lambda item: item[1].json()["updated_at"])
    stamps = [response.json()["updated_at"] for _, response in history]
    assert len(set(stamps)) == len(stamps), "two changes of one profile share an updated_at"
    state = dict(BASE_METADATA)
    for step, (body, response) in enumerate(history):
        state = merge_metadata(state, body["metadata"])
        assert response.json()["metadata"] == state, f"step {step} of the updated_at order is not serial"
    final = httpx.get(f"{servers[0].url}{path}", headers=headers).json()
    assert final["metadata"] == state
    assert final["updated_at"] == stamps[-1]
    last_body = history[-1][0]["metadata"]
    if "shared" in last_body:
        assert final["metadata"]["shared"] == last_body["shared"]  # the greatest updated_at carries the final value
    elif mode == "different-keys":
        for number in range(THREADS):
            mine = [body for body, _ in results if f"own{number}" in body["metadata"]]
            assert final["metadata"].get(f"own{number}", "") == mine[-1]["metadata"][f"own{number}"]

    record_figures(
        "concurrency",
        f"{backend_of(servers[0].database_url)}-{mode}",
        {
            "server_processes": len(servers),
            "client_threads": THREADS,
            "requests": len(results),
            "statuses": {str(status): count for status, count in sorted(statuses.items())},
            "responses_mentioning_locked": len(locked),
            "distinct_updated_at": len(set(stamps)),
            "seconds": round(seconds, 2),
            "requests_per_second": round(len(results) / seconds, 1),
            "final_metadata_keys": len(final["metadata"]),
        },
    )
