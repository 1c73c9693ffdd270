"""Crash safety: SIGKILL `uprof serve` in the middle of concurrent writes, start it again on the same
database, and check that every acknowledged write is there exactly as acknowledged, that nothing
that was refused or never sent is, and that every committed program change has its webhook event
and gets delivered (docs/reference/http.md §17 "no partial writes", docs/reference/webhooks.md §6 "survives restarts").

Each round has a database of its own and one server with fast webhook retries. For about a second,
eight client threads write at once, each sending one request at a time:

- 2 creators: `POST /v1/user_profiles`, every body unique (its name says which writer and request);
- 4 updaters: metadata merges on two shared profiles (two writers each), every writer on its own
  keys: each request sets two keys to a value never sent before, every fifth also deletes one (`""`);
- 2 operators: `POST /v1/admin/user_profiles/{id}/programs/cyber`, alternately `active` and
  `rejected`, on two profiles each; an endpoint subscribed to `program_status_updated` is registered.

Then SIGKILL. A writer learns the outcome of every request but the one in flight at the kill (its
outcome is unknown, so the check accepts it committed or not, whole); a request that could not
even connect must have had no effect. After the kill, the leases the dead process held on webhook
deliveries are moved to the past: that stands in for the 60-second lease running out
(docs/reference/webhooks.md §6), which the restarted server then reclaims.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.databases import backend_of, opened
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.reliability_support import (
    GA,
    WEBHOOKS,
    Keys,
    Receiver,
    kill,
    new_keys,
    own_database,
    record_figures,
)
from tests.e2e.waiting import wait_until
from uprof.db.unit_of_work import Database
from uprof.profiles.service import merge_metadata
from uprof.webhooks.models import webhook_delivery, webhook_event

FAST_RETRIES = {"UPROF_WEBHOOK_RETRY_BASE_SECONDS": "0.1"}
ROUNDS = 3
UPDATED = "user_profile.program_status_updated"
BASE_METADATA = {"base": "kept"}


# --- the writers --------------------------------------------------------------------------------


@dataclass
class Sent:
    """One request and what its writer learned: `ok` (200), `failed` (another status), `unknown`
    (in flight at the kill) or `refused` (no connection: the server never saw it)."""

    path: str
    body: dict[str, Any]
    outcome: str
    response: dict[str, Any] | None = None
    status: int | None = None


@dataclass
class Writer:
    name: str
    headers: dict[str, str]
    log: list[Sent] = field(default_factory=list)

    def request(self, index: int) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def run(self, base_url: str, started: threading.Barrier) -> None:
        with httpx.Client(base_url=base_url, headers=self.headers, timeout=30) as client:
            started.wait()
            for index in range(5000):  # bounded; the kill ends the loop long before
                path, body = self.request(index)
                try:
                    response = client.post(path, json=body)
                except httpx.ConnectError:
                    self.log.append(Sent(path, body, "refused"))
                    return
                except httpx.TransportError:
                    self.log.append(Sent(path, body, "unknown"))
                    return
                if response.status_code == 200:
                    self.log.append(Sent(path, body, "ok", response.json(), 200))
                else:
                    self.log.append(Sent(path, body, "failed", None, response.status_code))

    def outcomes(self, outcome: str) -> list[Sent]:
        return [sent for sent in self.log if sent.outcome == outcome]

    @property
    def in_flight(self) -> Sent | None:
        return next(iter(self.outcomes("unknown")), None)


@dataclass
class Creator(Writer):
    def request(self, index: int) -> tuple[str, dict[str, Any]]:
        return "/v1/user_profiles", {"name": f"{self.name}-{index}", "metadata": {"writer": self.name, "n": str(index)}}


@dataclass
class Updater(Writer):
    profile_id: str = ""

    def owned_keys(self) -> list[str]:
        return [f"{self.name}k0", f"{self.name}k1", f"{self.name}k2", f"{self.name}last"]

    def request(self, index: int) -> tuple[str, dict[str, Any]]:
        metadata = {f"{self.name}k{index % 3}": f"v{index}", f"{self.name}last": f"v{index}"}
        if index % 5 == 4:
            metadata[f"{self.name}k{(index + 1) % 3}"] = ""
        return f"/v1/user_profiles/{self.profile_id}", {"metadata": metadata}


@dataclass
class Operator(Writer):
    profile_ids: tuple[str, ...] = ()

    def request(self, index: int) -> tuple[str, dict[str, Any]]:
        profile_id = self.profile_ids[index % len(self.profile_ids)]
        status = "active" if (index // len(self.profile_ids)) % 2 == 0 else "rejected"
        return f"/v1/admin/user_profiles/{profile_id}/programs/cyber", {"status": status}


# --- one round ----------------------------------------------------------------------------------


@dataclass
class Round:
    url: str
    database: Database
    keys: Keys
    receiver: Receiver
    server: Server

    def api(self, key: str | None = None, headers: dict[str, str] = GA) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"x-api-key": key or self.keys.standard, **headers}, timeout=30
        )


@pytest.fixture
def crash_round(database_url: str, tmp_path: Path) -> Iterator[Round]:
    receiver = Receiver()
    with own_database(database_url, tmp_path) as url, opened(url) as database:
        keys = new_keys(database)
        server = start_server(url, env=FAST_RETRIES)
        running = Round(url, database, keys, receiver, server)
        try:
            yield running
        finally:
            if running.server.process.poll() is None:
                stop_server(running.server)
            receiver.close()


def post_ok(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def all_profiles(client: httpx.Client) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {"limit": 100, "order": "asc"}
    while True:
        page = client.get("/v1/user_profiles", params=params)
        assert page.status_code == 200, page.text
        for item in page.json()["data"]:
            assert item["id"] not in found
            found[item["id"]] = item
        if page.json()["next_page"] is None:
            return found
        params["page"] = page.json()["next_page"]


def stored_events(database: Database, organization_id: str) -> list[dict[str, Any]]:
    query = select(webhook_event.c.id, webhook_event.c.type, webhook_event.c.body).where(
        webhook_event.c.organization_id == organization_id
    )
    rows = database.run(lambda c: list(c.execute(query)), write=False)
    return [{"event_id": row.id, "type": row.type, "profile_id": json.loads(row.body)["data"]["id"]} for row in rows]


def delivery_statuses(database: Database, organization_id: str) -> Counter[str]:
    query = select(webhook_delivery.c.status).where(webhook_delivery.c.organization_id == organization_id)
    return Counter(database.run(lambda c: list(c.scalars(query)), write=False))


def expire_orphaned_leases(database: Database) -> int:
    """Move the leases the killed process held into the past, as if their 60 seconds had run out."""
    held = (webhook_delivery.c.status == "pending") & webhook_delivery.c.lease_expires_at.is_not(None)
    past = datetime.now(UTC) - timedelta(seconds=1)
    statement = update(webhook_delivery).where(held).values(lease_expires_at=past)
    return int(database.run(lambda c: c.execute(statement).rowcount, write=True))


@pytest.mark.parametrize("round_number", range(1, ROUNDS + 1))
def test_acknowledged_writes_survive_sigkill(crash_round: Round, round_number: int) -> None:
    run = crash_round
    tag = f"r{round_number}"
    with run.api() as api, run.api(run.keys.admin, WEBHOOKS) as webhooks:
        endpoint = post_ok(
            webhooks, "/v1/organizations/webhooks", {"url": run.receiver.url, "enabled_events": [UPDATED]}
        )
        assert endpoint["state"] == "enabled"
        shared = [
            post_ok(api, "/v1/user_profiles", {"name": f"shared-{n}", "metadata": BASE_METADATA}) for n in range(2)
        ]
        toggled = [
            post_ok(api, "/v1/user_profiles", {"name": f"toggled-{n}", "metadata": BASE_METADATA}) for n in range(4)
        ]
    standard = {"x-api-key": run.keys.standard, **GA}
    writers: list[Writer] = [Creator(f"{tag}c{n}", standard) for n in range(2)]
    updaters = [Updater(f"{tag}u{n}", standard, profile_id=shared[n % 2]["id"]) for n in range(4)]
    operators = [
        Operator(
            f"{tag}o{n}", {"x-api-key": run.keys.admin}, profile_ids=(toggled[2 * n]["id"], toggled[2 * n + 1]["id"])
        )
        for n in range(2)
    ]
    writers += [*updaters, *operators]

    started = threading.Barrier(len(writers) + 1)
    threads = [threading.Thread(target=w.run, args=(run.server.url, started), daemon=True) for w in writers]
    for thread in threads:
        thread.start()
    started.wait()
    began = time.monotonic()
    # Kill once every writer has had some success, at a random moment after that.
    wait_until(lambda: all(len(w.outcomes("ok")) >= 3 for w in writers), timeout=20, what="writes to start")
    time.sleep(random.uniform(0.3, 1.0))
    kill(run.server)
    load_seconds = time.monotonic() - began
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    failed = [(w.name, sent.status) for w in writers for sent in w.outcomes("failed")]
    assert failed == [], "requests refused during the load"
    if backend_of(run.url) == "sqlite":
        with closing(sqlite3.connect(run.url.removeprefix("sqlite:///"))) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    orphaned = expire_orphaned_leases(run.database)

    run.server = start_server(run.url, env=FAST_RETRIES)
    with run.api() as api:
        profiles = all_profiles(api)
    base_ids = {p["id"] for p in shared + toggled}
    creators: list[Writer] = [w for w in writers if isinstance(w, Creator)]
    created_found, created_unknown_found = check_creates(creators, profiles, base_ids)
    updates_unknown_found = sum(
        check_updates(profile, [u for u in updaters if u.profile_id == profile["id"]], profiles) for profile in shared
    )
    committed_toggles, toggles_unknown_found = check_program_changes(operators, toggled, profiles)

    events = stored_events(run.database, run.keys.organization_id)
    assert {event["type"] for event in events} <= {UPDATED}
    assert Counter(event["profile_id"] for event in events) == +Counter(committed_toggles), (
        "one event per committed change"
    )
    wait_until(
        lambda: delivery_statuses(run.database, run.keys.organization_id) == Counter({"succeeded": len(events)}),
        timeout=30,
        what="every delivery to succeed",
    )
    received = Counter(run.receiver.event_ids())
    assert set(received) == {event["event_id"] for event in events}, "each event delivered, nothing else"

    sent = [s for w in writers for s in w.log]
    acknowledged = [s for s in sent if s.outcome == "ok"]
    record_figures(
        "crash",
        f"{backend_of(run.url)}-round{round_number}",
        {
            "load_seconds": round(load_seconds, 2),
            "writes_attempted": len(sent),
            "writes_acknowledged": len(acknowledged),
            "acknowledged_found_after_restart": len(acknowledged),  # every check above passed
            "in_flight_at_kill": sum(1 for s in sent if s.outcome == "unknown"),
            "in_flight_found_committed": created_unknown_found + updates_unknown_found + toggles_unknown_found,
            "refused_after_kill": sum(1 for s in sent if s.outcome == "refused"),
            "creates_acknowledged": created_found,
            "updates_acknowledged": sum(len(u.outcomes("ok")) for u in updaters),
            "program_changes_acknowledged": sum(len(o.outcomes("ok")) for o in operators),
            "events_stored": len(events),
            "events_delivered": len(received),
            "deliveries_repeated": sum(received.values()) - len(received),
            "leases_orphaned_by_kill": orphaned,
        },
    )


def check_creates(creators: list[Writer], profiles: dict[str, dict[str, Any]], base_ids: set[str]) -> tuple[int, int]:
    """Every acknowledged create reads back exactly as its response; an in-flight one is whole or absent."""
    acknowledged = {sent.response["id"]: sent.response for w in creators for sent in w.outcomes("ok") if sent.response}
    for profile_id, response in acknowledged.items():
        assert profiles.get(profile_id) == response, "an acknowledged create changed or vanished"
    unknown = {sent.body["name"]: sent.body for w in creators for sent in w.outcomes("unknown")}
    others = [p for p in profiles.values() if p["id"] not in acknowledged and p["id"] not in base_ids]
    for profile in others:
        assert profile["name"] in unknown, f"a profile nobody acknowledged creating: {profile['name']}"
        body = unknown[profile["name"]]
        assert (profile["metadata"], profile["created_at"]) == (body["metadata"], profile["updated_at"])
    assert len({p["name"] for p in others}) == len(others)
    return len(acknowledged), len(others)


def check_updates(profile: dict[str, Any], updaters: list[Updater], profiles: dict[str, dict[str, Any]]) -> int:
    """Each writer's keys hold its acknowledged merges, plus its in-flight one applied whole or not at all."""
    final = profiles[profile["id"]]
    assert {k: v for k, v in final.items() if k not in ("metadata", "updated_at")} == {
        k: v for k, v in profile.items() if k not in ("metadata", "updated_at")
    }
    own_keys = {key for u in updaters for key in u.owned_keys()}
    assert {k: v for k, v in final["metadata"].items() if k not in own_keys} == BASE_METADATA
    committed_in_flight = 0
    for updater in updaters:
        model: dict[str, str] = {}
        for sent in updater.outcomes("ok"):
            model = merge_metadata(model, sent.body["metadata"])
            assert sent.response is not None
            assert {k: v for k, v in sent.response["metadata"].items() if k in updater.owned_keys()} == model
        mine = {k: v for k, v in final["metadata"].items() if k in updater.owned_keys()}
        in_flight = updater.in_flight
        if mine != model:
            assert in_flight is not None and mine == merge_metadata(model, in_flight.body["metadata"]), (
                f"{updater.name}: stored {mine}, acknowledged {model}, in flight {in_flight}"
            )
            committed_in_flight += 1
    acknowledged_at = [s.response["updated_at"] for u in updaters for s in u.outcomes("ok") if s.response]
    if committed_in_flight:
        assert final["updated_at"] > max(acknowledged_at)
    else:
        assert final["updated_at"] == max(acknowledged_at), "updated_at is the last acknowledged change's"
    return committed_in_flight


def check_program_changes(
    operators: list[Operator], toggled: list[dict[str, Any]], profiles: dict[str, dict[str, Any]]
) -> tuple[dict[str, int], int]:
    """Each profile's cyber status is its last acknowledged one, or its in-flight one; returns the number
    of committed changes per profile."""
    committed: dict[str, int] = {}
    in_flight_committed = 0
    for profile in toggled:
        profile_id = profile["id"]
        path = f"/v1/admin/user_profiles/{profile_id}/programs/cyber"
        mine = [s for o in operators for s in o.log if s.path == path]
        acknowledged = [s for s in mine if s.outcome == "ok"]
        unknown = [s for s in mine if s.outcome == "unknown"]
        final = profiles[profile_id]
        assert (final["name"], final["metadata"]) == (profile["name"], profile["metadata"])
        status = None if final["programs"]["cyber"] is None else final["programs"]["cyber"]["status"]
        last = acknowledged[-1].body["status"] if acknowledged else None
        count = len(acknowledged)
        if status != last:
            assert unknown and status == unknown[0].body["status"], f"{profile_id}: {status}, acknowledged {last}"
            count += 1
            in_flight_committed += 1
        elif acknowledged:
            assert acknowledged[-1].response is not None
            assert final["updated_at"] == acknowledged[-1].response["updated_at"]
        committed[profile_id] = count
    return committed, in_flight_committed
