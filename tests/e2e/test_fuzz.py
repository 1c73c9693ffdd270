"""Property-based fuzzing of the real server from its own OpenAPI document (schemathesis).

For each revision, schemathesis reads `GET /openapi.json?revision=…` and generates requests for every
operation, valid and invalid ones (wrong types, missing and extra fields, odd strings, unexpected
methods), headers included: `anthropic-version`, the `anthropic-beta` values and
`anthropic-workspace-id` come from the document's header parameters, not from this test, which adds
only the key: a standard key for the profile operations, an admin key of the same organization for
the Admin API and webhook endpoint operations. Every response must: not be a 5xx; carry a status the
document lists for the operation; match the documented schema (the profile shape of that revision on
200, the error envelope otherwise) and the documented response headers; be JSON with the
`request-id` header equal to the body's; and, when schemathesis knows the request was invalid, be a 4xx.

Every other valid case that names an object by ID is aimed at a real object of the organization
(`Targets`: profiles, enrollments, enforcement actions, identity checks, webhook endpoints and
deliveries), so that generated bodies reach the handlers rather than stopping at 404.

The profile operations are fuzzed under all four revisions. The webhook and Admin API operations
are the same in every document, so they are fuzzed once, under GA. Figures go to
artifacts/reliability/fuzz.json, per group: each revision's profile operations, `admin`, `webhooks`.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import BaseRoute

from tests.databases import backend_of
from tests.e2e.conftest import Server
from tests.e2e.reliability_support import GA, WEBHOOKS, Keys, new_keys, record_figures
from uprof.data_controls import routes as data_controls
from uprof.db.unit_of_work import Database
from uprof.external_keys import routes as external_keys
from uprof.http.revision_choice import DATA_CONTROLS_BETA, Revision
from uprof.openapi.document import build
from uprof.profiles import routes as profiles
from uprof.provider import routes as admin
from uprof.provider import service as provider
from uprof.timestamps import utc_now
from uprof.webhooks import routes as webhooks

REVISIONS = {
    "2026-03-24": "user-profiles-2026-03-24",
    "2026-08-18": "user-profiles-2026-08-18",
    "2026-09-04": "user-profiles-2026-09-04",
    "ga": None,  # no user-profiles value: GA
}
MAX_EXAMPLES = 25  # per operation and revision, besides the coverage phase's cases
GENERATION = {"mode": "all", "with-security-parameters": False, "allow-x00": True, "max-examples": MAX_EXAMPLES}
PHASES = {"examples": {"enabled": False}, "stateful": {"enabled": False}}
CONFIG = schemathesis.Config.from_dict({"generation": GENERATION, "phases": PHASES})
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
ADMIN_FAMILIES = {"admin": "admin", "organizations": "webhooks"}  # second path segment → group


def group_of(revision: str, path: str) -> str:
    """Where a case's figures go: its revision for a profile operation, else `admin` or `webhooks`."""
    return ADMIN_FAMILIES.get(path.split("/")[2], revision)


@dataclass
class FuzzLog:
    """What one group's run sent and got back."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    aimed: Counter[str] = field(default_factory=Counter)  # cases aimed at a real object, by path parameter


@pytest.fixture(scope="module")
def figures(database_url: str) -> Iterator[dict[str, FuzzLog]]:
    """Per group, what was sent; written to fuzz.json once the backend's runs are over."""
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
            "groups": {
                group: {
                    "operations": len(log.operations),
                    "cases": log.cases,
                    "cases_on_real_objects": sum(log.aimed.values()),
                    "aimed_by_parameter": dict(sorted(log.aimed.items())),
                    "statuses": {str(status): count for status, count in sorted(log.statuses.items())},
                    "failures": log.failures,
                }
                for group, log in sorted(logs.items())
            },
        },
    )


def document(revision: str) -> dict[str, Any]:
    """The OpenAPI document the server serves for `revision`, built in-process so that schemathesis can
    generate the tests at collection time; test_the_fuzzed_document_is_the_served_one holds them equal."""
    routes: list[BaseRoute] = [
        *profiles.routes,
        *admin.routes,
        *webhooks.routes,
        *data_controls.routes,
        *external_keys.routes,
    ]
    return build(routes, DOCUMENT_REVISIONS[revision])


def fuzz_test(revision: str) -> Any:
    """The fuzz test of one revision: one pytest item per operation and backend."""
    loaded: BaseSchema = schemathesis.openapi.from_dict(document(revision), config=CONFIG)
    if revision != "ga":
        loaded = loaded.include(path_regex=r"^/v1/user_profiles")
    loaded.hook("filter_case")(lambda context, case: keep_coverage_case(case, revision))

    @loaded.parametrize()
    @settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def test(case: Any, server: Server, targets: Targets, figures: dict[str, FuzzLog]) -> None:
        log = figures.setdefault(group_of(revision, case.operation.path), FuzzLog())
        log.operations.add(f"{case.operation.method.upper()} {case.operation.path}")
        log.cases += 1
        aimed = targets.aim(case, log.cases)
        pin_headers(case, REVISIONS[revision], log.cases)
        try:
            sent = {"x-api-key": targets.key_for(case.operation.path)}
            response = case.call_and_validate(base_url=server.url, headers=sent, checks=CHECKS)
            log.statuses[response.status_code] += 1
            if aimed is not None:
                log.aimed[aimed[0]] += 1
            check_envelope(response)
            targets.after(case, aimed, response)
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
        # The data controls routes declare their own value instead (their shape is one in every revision).
        own = case.operation.path.endswith("/data_controls")
        headers["anthropic-beta"] = DATA_CONTROLS_BETA if own else revision_beta
    if number % 4:
        headers.pop("anthropic-workspace-id", None)
    case.headers = headers


@pytest.mark.parametrize("revision", list(REVISIONS))
def test_the_fuzzed_document_is_the_served_one(server: Server, revision: str) -> None:
    served = httpx.get(f"{server.url}/openapi.json", params={"revision": revision})
    assert served.status_code == 200
    assert served.json() == document(revision)


POOL = 4  # real objects of each kind
UNREACHABLE = "http://127.0.0.1:9/hooks"  # webhook URL: nothing listens, every attempt fails at once
QUIET_EVENTS = ["external_storage.failed"]  # subscribed by the aimed endpoints: uprof never emits it
DECISIONS = ("approve", "reject", "resolve", "retry")  # operations after which the object is spent


class Targets:
    """Real objects of the module's own organization, by the path parameter that names them.

    Every other valid case that names an object is aimed at one of them instead of a random ID, so
    generated bodies reach the handlers (validation, state rules, merge, storage) rather than
    stopping at 404; and `program` is then `cyber` or `efs`. An object a case deleted is replaced
    by a fresh one; so is one a case decided (approved, rejected, resolved, retried), which stays
    among the targets too, so that decisions meet objects in either state (200 or 409).
    Enrollments and identity checks are stored through the provider service, as the enrollment
    page and the portal do.
    """

    def __init__(self, server: Server, database: Database, keys: Keys) -> None:
        self.database, self.keys = database, keys
        self.made = 0  # objects made so far: varies what the next one is
        self.api = httpx.Client(base_url=server.url, headers={"x-api-key": keys.standard, **GA}, timeout=10)
        self.admin = httpx.Client(base_url=server.url, headers={"x-api-key": keys.admin, **WEBHOOKS}, timeout=10)
        # The deliveries' endpoint: never aimed at, so no case deletes it or its delivery log.
        self.log_endpoint = self.endpoint(["user_profile.program_status_updated"])
        self.operated = self.profile()  # where the actions and the deliveries' events happen
        self.makers: dict[str, Callable[[], str]] = {
            "user_profile_id": self.profile,
            "enrollment_id": self.enrollment,
            "action_id": self.action,
            "check_id": self.identity_check,
            "webhook_endpoint_id": self.endpoint,
            "delivery_id": self.delivery,
        }
        self.ids = {name: [make() for _ in range(POOL)] for name, make in self.makers.items()}
        self.decided: dict[str, list[str]] = {name: [] for name in self.makers}

    def key_for(self, path: str) -> str:
        """The admin key for the Admin API and webhook endpoints, the standard key for profiles."""
        return self.keys.standard if path.startswith("/v1/user_profiles") else self.keys.admin

    def aim(self, case: Any, number: int) -> tuple[str, str] | None:
        """Aim every other positive case at a real object: (path parameter, ID), or None."""
        path_mode = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        negative_path = path_mode is not None and not path_mode.mode.is_positive
        named = [name for name in self.ids if name in (case.path_parameters or {})]
        if not named or negative_path or number % 2:
            return None
        parameter = named[0]
        choices = [*self.ids[parameter], *self.decided[parameter][-2:]]
        chosen = choices[number // 2 % len(choices)]
        case.path_parameters[parameter] = chosen
        if "program" in case.path_parameters:
            case.path_parameters["program"] = ("cyber", "efs")[number // 8 % 2]
        return parameter, chosen

    def after(self, case: Any, aimed: tuple[str, str] | None, response: Any) -> None:
        """Replace an aimed object the case used up; delete an endpoint the case created."""
        path, method = case.operation.path, case.method.upper()
        if response.status_code != 200:
            return
        if (method, path) == ("POST", "/v1/organizations/webhooks"):
            # The organization may have at most 32 endpoints; and these may point anywhere.
            self.admin.delete(f"/v1/organizations/webhooks/{json.loads(response.content)['id']}")
            return
        if aimed is None:
            return
        parameter, used = aimed
        decided = path.rsplit("/", 1)[-1] in DECISIONS
        deleted = method == "DELETE" and path.endswith(f"{{{parameter}}}")
        if (decided or deleted) and used in self.ids[parameter]:
            pool = self.ids[parameter]
            pool[pool.index(used)] = self.makers[parameter]()
            if decided:
                self.decided[parameter].append(used)

    def ok(self, client: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = client.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def profile(self) -> str:
        return str(self.ok(self.api, "POST", "/v1/user_profiles", {"name": "fuzzed"})["id"])

    def endpoint(self, events: list[str] = QUIET_EVENTS) -> str:
        body = {"url": UNREACHABLE, "enabled_events": events, "name": "fuzzed"}
        return str(self.ok(self.admin, "POST", "/v1/organizations/webhooks", body)["id"])

    def enrollment(self) -> str:
        """A pending application of a new profile, to cyber or efs in turn."""
        profile_id, self.made = self.profile(), self.made + 1
        program, requested = ("cyber", ["a", "c"]) if self.made % 2 else ("efs", ["cmek"])

        def work(connection: Any) -> str:
            return provider.submit_application(
                connection,
                self.keys.organization_id,
                profile_id,
                program=program,
                source="enrollment_url",
                requested=requested,
                use_case="fuzzing",
                applicant_organization=None,
                contact_email=None,
                now=utc_now(),
            )

        return self.database.run(work, write=True)

    def open_action(self, profile_id: str, body: dict[str, Any]) -> str:
        path = f"/v1/admin/user_profiles/{profile_id}/enforcement_actions"
        return str(self.ok(self.admin, "POST", path, body)["id"])

    def action(self) -> str:
        """An open action: a verifiable restriction or a ban in turn."""
        self.made += 1
        restriction = {"type": "restriction", "reason": "unsupported_region", "verifiable": True}
        return self.open_action(self.operated, restriction if self.made % 2 else {"type": "ban", "reason": "high_harm"})

    def identity_check(self) -> str:
        """A submitted check, on a new profile with a verifiable restriction."""
        profile_id = self.profile()
        self.open_action(profile_id, {"type": "restriction", "reason": "unsupported_region", "verifiable": True})
        identity = {"full_name": "Ada", "country": "GB", "document_type": "passport", "document_last4": "4821"}
        return self.database.run(
            lambda c: provider.submit_identity_check(c, self.keys.organization_id, profile_id, identity, utc_now()),
            write=True,
        )

    def delivery(self) -> str:
        """A cancelled delivery, which a retry may put back: an event while the log endpoint is enabled,
        then the endpoint disabled (which cancels it) and enabled again."""
        cyber = f"/v1/admin/user_profiles/{self.operated}/programs/cyber"
        self.made += 1
        self.ok(self.admin, "POST", cyber, {"status": ("active", "rejected")[self.made % 2]})
        endpoint = f"/v1/organizations/webhooks/{self.log_endpoint}"
        self.ok(self.admin, "POST", endpoint, {"state": "disabled"})
        self.ok(self.admin, "POST", endpoint, {"state": "enabled"})
        listed = self.admin.get(
            "/v1/admin/webhook_deliveries", params={"endpoint_id": self.log_endpoint, "limit": 1}
        ).json()
        return str(listed["data"][0]["id"])

    def close(self) -> None:
        """Delete every endpoint of the organization, so that nothing is delivered after the module."""
        for endpoint in self.ok(self.admin, "GET", "/v1/organizations/webhooks?limit=100")["data"]:
            self.admin.delete(f"/v1/organizations/webhooks/{endpoint['id']}")
        self.api.close()
        self.admin.close()


@pytest.fixture(scope="module")
def targets(server: Server, database: Database) -> Iterator[Targets]:
    """A standard and an admin key of an organization of the module's own, and that organization's objects."""
    made = Targets(server, database, new_keys(database))
    yield made
    made.close()


def check_envelope(response: Any) -> None:
    """Every answer is JSON with a request ID; an error's body names the same ID (docs/reference/http.md §8, §11)."""
    assert response.headers["content-type"] == ["application/json"]
    request_id = response.headers["request-id"][0]
    assert REQUEST_ID.fullmatch(request_id)
    body = json.loads(response.content)
    if response.status_code != 200:
        assert list(body) == ["type", "error", "request_id"]
        assert body["request_id"] == request_id
        assert "<html" not in response.content.decode().lower()
