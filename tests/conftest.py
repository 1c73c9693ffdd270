"""Fixtures shared by every test layer: a real database per backend (SQLite and PostgreSQL).

Every test that takes `database_url` runs twice, once per backend. PostgreSQL gets a fresh
database per test session, dropped at the end.

Also the compatibility recorder: tests marked `@pytest.mark.compat(client=..., operation=...)`
report pass/fail per (client, operation, backend), and the session writes them to
`artifacts/compat/anthropic-<version>.json`; `scripts/compat-matrix` turns every such file into
`docs/compatibility.md`.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
from collections.abc import Generator, Iterator
from datetime import UTC, datetime

import pytest

from tests.databases import fresh_database
from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, otherwise empty database for this session, on each backend in turn."""
    with fresh_database(request.param, tmp_path_factory.mktemp("sqlite")) as url:
        yield url


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.engine.dispose()


# --- compatibility matrix -------------------------------------------------------------------

COMPAT_RESULTS = pytest.StashKey[dict[tuple[str, str, str], dict[str, list[str]]]]()
COMPAT_SDKS = pytest.StashKey[dict[str, str]]()
COMPAT_NOT_SERVED = pytest.StashKey[set[tuple[str, str]]]()
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "compat(client, operation, served=True): the test proves `operation` of SDK `client` works against uprof; "
        "its outcome per backend goes into the compatibility matrix (docs/compatibility.md); with served=False "
        "the operation is outside the contract and the test proves uprof answers 404",
    )
    config.stash[COMPAT_RESULTS] = {}
    config.stash[COMPAT_NOT_SERVED] = set()
    config.stash[COMPAT_SDKS] = {}
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        config.stash[COMPAT_SDKS]["anthropic (Python)"] = importlib.metadata.version("anthropic")


def record_sdk(config: pytest.Config, name: str, version: str) -> None:
    """Name an SDK (besides the Python one of this environment) that this session's compat tests ran."""
    config.stash[COMPAT_SDKS][name] = version


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Count a compat test as failed if any phase failed, as passed once its call phase passed."""
    report = yield
    backend = _backend(item)
    if backend is not None and (report.failed or (report.when == "call" and report.passed)):
        for marker in item.iter_markers("compat"):
            key = (marker.kwargs["client"], marker.kwargs["operation"], backend)
            outcomes = item.config.stash[COMPAT_RESULTS].setdefault(key, {"passed": [], "failed": []})
            outcomes["failed" if report.failed else "passed"].append(item.nodeid)
            if not marker.kwargs.get("served", True):
                item.config.stash[COMPAT_NOT_SERVED].add(key[:2])
    return report


def _backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else BACKENDS.get(callspec.params.get("database_url"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write this environment's compatibility results, if any compat test ran (a partial run writes partial results)."""
    results = session.config.stash.get(COMPAT_RESULTS, {})
    if not results:
        return
    sdks = session.config.stash[COMPAT_SDKS]
    not_served = session.config.stash[COMPAT_NOT_SERVED]
    environment = f"anthropic-{sdks.get('anthropic (Python)', 'none')}"
    rows = [
        {
            "client": client,
            "operation": operation,
            "backend": backend,
            "outcome": "failed" if outcomes["failed"] else "passed",
            "served": (client, operation) not in not_served,
            "failed_tests": sorted(set(outcomes["failed"])),
            "passed_tests": sorted(set(outcomes["passed"]) - set(outcomes["failed"])),
        }
        for (client, operation, backend), outcomes in results.items()
    ]
    document = {
        "environment": environment,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sdks": sdks,
        "results": rows,
    }
    folder = session.config.rootpath / "artifacts" / "compat"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{environment}.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
