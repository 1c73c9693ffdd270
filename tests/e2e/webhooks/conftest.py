"""Fixtures of the webhook delivery tests: `shared`, the package's database and the server dispatching
from it (package-scoped, so all the modules share one per backend); an operator of a fresh organization
per test; a receiver per test, every delivery to which must verify."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import start_server, stop_server
from tests.e2e.webhooks.support import (
    FAST_RETRIES,
    SERVER_OPTIONS,
    Hub,
    Operator,
    Receiver,
    new_operator,
    own_database,
)


@pytest.fixture(scope="package")
def shared(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with own_database(database_url, tmp_path_factory.mktemp("webhooks")) as (url, database):
        running = Hub(url, database, start_server(url, *SERVER_OPTIONS, env=FAST_RETRIES))
        try:
            yield running
        finally:
            stop_server(running.server)


@pytest.fixture
def operator(shared: Hub) -> Iterator[Operator]:
    running = new_operator(shared.database, shared.server)
    yield running
    running.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()
    # Every delivery any test received verified with its endpoint's current secret.
    for item in running.received:
        assert item.verified_with, f"a delivery to {item.path} did not verify: {item.headers}"
