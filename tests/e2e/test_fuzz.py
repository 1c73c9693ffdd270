"""Property-based fuzzing of the real server from its own OpenAPI document (schemathesis).

For each revision, schemathesis reads `GET /openapi.json?revision=…` and generates requests for every
operation, valid and invalid ones (wrong types, missing and extra fields, odd strings, unexpected
methods), sent with a standard key and the revision's `anthropic-beta`. Every response must: not be
a 5xx; carry a status the document lists for the operation; match the documented schema (the
profile shape of that revision on 200, the error envelope otherwise); be JSON with the `request-id`
header equal to the body's; and, when schemathesis knows the request was invalid, be a 4xx.

The profile operations are fuzzed under all four revisions. The webhook and Admin API operations
are the same in every document and answer a standard key with 403 (http.md §1 step 7), so they are
fuzzed once, under GA. Figures go to artifacts/reliability/fuzz.json.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import Server
from tests.e2e.reliability_support import backend_of, record_figures
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.http.revisions import Revision
from uprof.openapi.document import build
from uprof.profiles import routes as profiles
from uprof.provider import routes as admin
from uprof.webhooks import routes as webhooks

REVISIONS = {
    "2026-03-24": "user-profiles-2026-03-24",
    "2026-08-18": "user-profiles-2026-08-18",
    "2026-09-04": "user-profiles-2026-09-04",
    "ga": "webhooks-2026-10-07",  # no user-profiles value: GA; the webhook routes need this one
}
MAX_EXAMPLES = 25  # per operation and revision, besides the coverage phase's cases
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "with-security-parameters": False, "allow-x00": True},
        "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
DOCUMENT_REVISIONS = {
    "2026-03-24": Revision.R1,
    "2026-08-18": Revision.R2,
    "2026-09-04": Revision.R3,
    "ga": Revision.GA,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
REQUEST_ID = re.compile(r"req_[0-9A-Za-z]{24}")


@dataclass
class FuzzLog:
    """What one revision's run sent and got back."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    on_real_profiles: int = 0  # cases aimed at an existing profile (see ProfilePool)


@pytest.fixture(scope="module")
def figures(database_url: str) -> Iterator[dict[str, FuzzLog]]:
    """Per revision, what was sent; written to fuzz.json once the backend's runs are over."""
    logs: dict[str, FuzzLog] = {}
    began = time.monotonic()
    yield logs
    record_figures(
        "fuzz",
        backend_of(database_url),
        {
            "seconds": round(time.monotonic() - began, 1),
            "max_examples_per_operation": MAX_EXAMPLES,
            "cases": sum(log.cases for log in logs.values()),
            "failures": sum(len(log.failures) for log in logs.values()),
            "revisions": {
                revision: {
                    "operations": len(log.operations),
                    "cases": log.cases,
                    "cases_on_existing_profiles": log.on_real_profiles,
                    "statuses": {str(status): count for status, count in sorted(log.statuses.items())},
                    "failures": log.failures,
                }
                for revision, log in sorted(logs.items())
            },
        },
    )


def document(revision: str) -> dict[str, Any]:
    """The OpenAPI document the server serves for `revision`, built in-process so that schemathesis can
    generate the tests at collection time; test_the_fuzzed_document_is_the_served_one holds them equal."""
    return build([*profiles.routes, *admin.routes, *webhooks.routes], DOCUMENT_REVISIONS[revision])


def fuzz_test(revision: str) -> Any:
    """The fuzz test of one revision: one pytest item per operation and backend."""
    loaded = schemathesis.openapi.from_dict(document(revision), config=CONFIG)
    if revision != "ga":
        loaded = loaded.include(path_regex=r"^/v1/user_profiles")
    headers = {"anthropic-version": "2023-06-01", "anthropic-beta": REVISIONS[revision]}

    @loaded.parametrize()
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def test(case: Any, server: Server, pool: ProfilePool, figures: dict[str, FuzzLog]) -> None:
        log = figures.setdefault(revision, FuzzLog())
        log.operations.add(f"{case.operation.method.upper()} {case.operation.path}")
        log.cases += 1
        real_id = pool.aim(case, log.cases)
        try:
            response = case.call_and_validate(
                base_url=server.url, headers={**headers, "x-api-key": pool.key}, checks=CHECKS
            )
            log.statuses[response.status_code] += 1
            log.on_real_profiles += real_id is not None
            check_envelope(response)
            if real_id is not None and case.method == "DELETE" and response.status_code == 200:
                pool.replace(real_id)
        except BaseException as failure:  # schemathesis reports check failures as a BaseExceptionGroup
            parts = failure.exceptions if isinstance(failure, BaseExceptionGroup) else (failure,)
            for part in parts:
                title = getattr(part, "title", None) or str(part).splitlines()[0][:200]
                summary = f"{case.operation.method.upper()} {case.operation.path}: {title}"
                if summary not in log.failures:
                    log.failures.append(summary)
            raise

    return test


test_fuzz_2026_03_24 = fuzz_test("2026-03-24")
test_fuzz_2026_08_18 = fuzz_test("2026-08-18")
test_fuzz_2026_09_04 = fuzz_test("2026-09-04")
test_fuzz_ga = fuzz_test("ga")


@pytest.mark.parametrize("revision", list(REVISIONS))
def test_the_fuzzed_document_is_the_served_one(server: Server, revision: str) -> None:
    served = httpx.get(f"{server.url}/openapi.json", params={"revision": revision})
    assert served.status_code == 200
    assert served.json() == document(revision)


class ProfilePool:
    """Profiles of the module's own organization. Every other valid case of a profile operation is
    aimed at one of them instead of a random ID, so generated bodies reach the update and delete
    paths (validation, merge, the 16-key limit, storage) rather than stopping at 404."""

    def __init__(self, server: Server, key: str) -> None:
        self.server, self.key = server, key
        self.ids = [self.create() for _ in range(4)]

    def create(self) -> str:
        sent = {"x-api-key": self.key, "anthropic-version": "2023-06-01"}
        response = httpx.post(f"{self.server.url}/v1/user_profiles", headers=sent, json={"name": "fuzzed"})
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def aim(self, case: Any, number: int) -> str | None:
        path_mode = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        negative_path = path_mode is not None and not path_mode.mode.is_positive
        if "user_profile_id" not in case.path_parameters or negative_path or number % 2:
            return None
        if not case.operation.path.startswith("/v1/user_profiles"):
            return None
        chosen = self.ids[number % len(self.ids)]
        case.path_parameters["user_profile_id"] = chosen
        return chosen

    def replace(self, deleted: str) -> None:
        self.ids[self.ids.index(deleted)] = self.create()


@pytest.fixture(scope="module")
def pool(server: Server, database: Database) -> ProfilePool:
    """A standard key of an organization of the module's own, and that organization's profiles."""
    name = f"fuzz-{uuid.uuid4()}"
    key = database.run(lambda c: accounts.create_key(c, name="fuzz", organization_name=name).key, write=True)
    return ProfilePool(server, key)


def check_envelope(response: Any) -> None:
    """Every answer is JSON with a request ID; an error's body names the same ID (http.md §8, §11)."""
    assert response.headers["content-type"] == ["application/json"]
    request_id = response.headers["request-id"][0]
    assert REQUEST_ID.fullmatch(request_id)
    body = json.loads(response.content)
    if response.status_code != 200:
        assert list(body) == ["type", "error", "request_id"]
        assert body["request_id"] == request_id
        assert "<html" not in response.content.decode().lower()
