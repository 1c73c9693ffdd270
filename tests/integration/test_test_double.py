"""The test double's repository on both backends: the journal keeps an organization's newest 1,000
requests, fault rules are used up once each, and the clock's offset only grows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, text

from tests.databases import fresh_database, opened
from tests.secret_keys import TEST_SECRET_KEY
from uprof.accounts import service as accounts
from uprof.app import create_app
from uprof.config import Settings
from uprof.controls import repository, service
from uprof.controls.schemas import FaultRule
from uprof.db.unit_of_work import Database
from uprof.timestamps import utc_now


def _entry(organization_id: str, number: int) -> dict[str, object]:
    return {
        "organization_id": organization_id,
        "id": f"req_{number}",
        "at": utc_now(),
        "method": "GET",
        "path": f"/v1/user_profiles/uprof_{number}",
        "route": "/v1/user_profiles/{user_profile_id}",
        "query": {},
        "headers": {},
        "body": None,
        "status": 200,
        "response_body": {"n": number},
    }


def test_the_journal_keeps_the_newest_thousand(database: Database, organization_id: str) -> None:
    def fill(connection: Connection) -> None:
        for number in range(1, 1051):
            service.record_request(connection, _entry(organization_id, number), trim=number == 1050)

    database.run(fill, write=True)
    kept = database.run(lambda c: service.requests(c, organization_id, limit=1000, method=None, path=None), write=False)
    assert len(kept) == 1000
    assert (kept[0]["id"], kept[-1]["id"]) == ("req_1050", "req_51")
    template = "/v1/user_profiles/{user_profile_id}"
    templated = database.run(
        lambda c: service.requests(c, organization_id, limit=5, method="GET", path=template), write=False
    )
    assert [r["response_body"] for r in templated] == [{"n": n} for n in range(1050, 1045, -1)]


def test_a_rule_answers_its_times_then_is_gone(database: Database, organization_id: str) -> None:
    rule = FaultRule("POST", "/v1/user_profiles", 529, 2, 0, None)
    database.run(lambda c: service.add_fault(c, organization_id, rule), write=True)

    def take(method: str) -> object:
        return database.run(lambda c: service.take_fault(c, organization_id, method, "/v1/user_profiles"), write=True)

    assert take("GET") is None
    assert [take("POST") is not None for _ in range(3)] == [True, True, False]
    assert database.run(lambda c: repository.faults(c, organization_id), write=False) == []


def test_the_stored_offset_only_grows(database: Database) -> None:
    before = database.run(repository.clock_offset_micros, write=False)
    after = database.run(lambda c: repository.add_to_clock(c, 5_000_000), write=True)
    assert after == before + 5_000_000


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_answer_the_journal_cannot_hold_still_goes_out(backend: str, tmp_path: Path) -> None:
    """The request's own work committed: an error in place of its answer would make the SDK make it
    again. So a journal that fails to record (here: its table gone) leaves the answer as it was."""
    with fresh_database(backend, tmp_path) as url, opened(url) as database:
        key = database.run(lambda c: accounts.create_key(c, name="journal").key, write=True)
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET_KEY, test_controls=True))
        database.run(lambda c: c.execute(text("DROP TABLE test_request")), write=True)

        async def create() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://uprof.test") as client:
                headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
                return await client.post("/v1/user_profiles", json={"name": "Kept"}, headers=headers)

        answer = asyncio.run(create())
        threads = app.state.runtime.database_threads
        if threads is not None:
            asyncio.run(threads.stop())
        app.state.runtime.database.engine.dispose()
        assert answer.status_code == 200, answer.text
        assert database.run(lambda c: c.scalar(text("SELECT count(*) FROM user_profile")), write=False) == 1
