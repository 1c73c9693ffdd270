"""Property-based fuzzing of the real server from its own OpenAPI document (schemathesis).

For each revision, schemathesis reads `GET /openapi.json?revision=…` and generates requests for every
operation, valid and invalid ones (wrong types, missing and extra fields, odd strings, unexpected
methods), headers included: `anthropic-version`, the `anthropic-beta` values and
`anthropic-workspace-id` come from the document's header parameters, not from this test, which adds
only a standard key. Every response must: not be a 5xx; carry a status the document lists for the
operation; match the documented schema (the profile shape of that revision on 200, the error
envelope otherwise) and the documented response headers; be JSON with the `request-id` header equal
to the body's; and, when schemathesis knows the request was invalid, be a 4xx.

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
    response_headers_conformance,
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
    "ga": None,  # no user-profiles value: GA
}
MAX_EXAMPLES = 25  # per operation and revision, besides the coverage phase's cases
# The webhook and Admin API operations answer the standard key with 403 once the headers pass, so
# beyond the header checks more examples there find nothing new.
MAX_EXAMPLES_FORBIDDEN = 10
GENERATION = {"mode": "all", "with-security-parameters": False, "allow-x00": True, "max-examples": MAX_EXAMPLES}
PHASES = {"examples": {"enabled": False}, "stateful": {"enabled": False}}
CONFIG = schemathesis.Config.from_dict({"generation": GENERATION, "phases": PHASES})
GA_CONFIG = schemathesis.Config.from_dict(
    {
        "generation": GENERATION,
        "phases": PHASES,
        "operations": [
            {
                "include-path-regex": "^/v1/(admin|organizations)/",
                "generation": {"max-examples": MAX_EXAMPLES_FORBIDDEN},
            }
        ],
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
    response_headers_conformance,
    negative_data_rejection,
]
HEADER_PROBES = {
    ("POST", "/v1/user_profiles"),
    ("POST", "/v1/organizations/webhooks"),
    ("GET", "/v1/admin/enrollments"),
}
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
            "max_examples_per_admin_or_webhook_operation": MAX_EXAMPLES_FORBIDDEN,
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
    loaded = schemathesis.openapi.from_dict(document(revision), config=GA_CONFIG if revision == "ga" else CONFIG)
    if revision != "ga":
        loaded = loaded.include(path_regex=r"^/v1/user_profiles")
    loaded.hook("filter_case")(lambda context, case: keep_coverage_case(case, revision))

    @loaded.parametrize()
    @settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def test(case: Any, server: Server, pool: ProfilePool, figures: dict[str, FuzzLog]) -> None:
        log = figures.setdefault(revision, FuzzLog())
        log.operations.add(f"{case.operation.method.upper()} {case.operation.path}")
        log.cases += 1
        real_id = pool.aim(case, log.cases)
        pin_headers(case, REVISIONS[revision], log.cases)
        try:
            response = case.call_and_validate(base_url=server.url, headers={"x-api-key": pool.key}, checks=CHECKS)
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


def keep_coverage_case(case: Any, revision: str) -> bool:
    """Whether to send a coverage-phase case that mutates a declared header.

    The header checks run in the shared request pipeline before any handler, the same for every
    route of a family (`RouteRules`), so those cases go to one operation per family and document
    (HEADER_PROBES); and never for a beta document's `anthropic-beta`, which pin_headers fixes. The
    random phase still varies the headers of every operation.
    """
    header = getattr(case.meta.phase.data, "parameter", None) if case.meta else None
    if header not in ("anthropic-version", "anthropic-beta", "anthropic-workspace-id"):
        return True
    if header == "anthropic-beta" and REVISIONS[revision] is not None:
        return False
    return (case.method.upper(), case.operation.path) in HEADER_PROBES


def pin_headers(case: Any, revision_beta: str | None, number: int) -> None:
    """Keep generated headers where the document can judge the answer (schemathesis re-checks the case).

    - A beta document's `anthropic-beta` is the revision it describes: another value or none asks the
      server for another revision (GA unless a `user-profiles-*` value is sent), a valid request
      answered in shapes that other document describes. So it is always the document's value.
    - The module's organization has no workspace, so any generated `anthropic-workspace-id` is a 404
      before the handler: kept in one case of four, so that the rest reach the handlers.
    """
    headers = case.headers if case.headers is not None else {}
    if revision_beta is not None and case.operation.path.startswith("/v1/user_profiles"):
        headers["anthropic-beta"] = revision_beta
    if number % 4:
        headers.pop("anthropic-workspace-id", None)
    case.headers = headers


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
