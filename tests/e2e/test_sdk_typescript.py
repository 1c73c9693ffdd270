"""The official TypeScript SDK (version pinned in tests/e2e/ts/package.json) against the real server.

tests/e2e/ts/user-profiles.mjs runs every operation of `client.beta.userProfiles` (its default
revision, R2) and of `client.userProfiles` (GA) once per backend and prints one JSON line per
operation; each test below checks one of them. `npm ci` installs the locked packages the first time
(nothing but the npm packages of package-lock.json is downloaded).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import record_sdk
from tests.e2e.conftest import Server
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database

TS_DIR = Path(__file__).parent / "ts"
PINNED = json.loads((TS_DIR / "package.json").read_text())["dependencies"]["@anthropic-ai/sdk"]
TS_BETA = f"@anthropic-ai/sdk {PINNED} beta (R2 default)"
TS_GA = f"@anthropic-ai/sdk {PINNED} GA"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
R2_ORDER = [
    "id",
    "type",
    "external_id",
    "name",
    "access_type",
    "external_user_onboarded_at",
    "metadata",
    "trust_grants",
    "created_at",
    "updated_at",
]
GA_ORDER = [
    "id",
    "type",
    "name",
    "access_type",
    "external_user_details",
    "metadata",
    "programs",
    "enforcement_status",
    "enforcement_actions",
    "created_at",
    "updated_at",
]
NO_DETAILS = dict.fromkeys(
    ["account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id"]
)

Results = dict[tuple[str, str], Any]


@pytest.fixture(scope="session")
def node_modules(pytestconfig: pytest.Config) -> Path:
    """The locked npm packages, installed once if missing."""
    folder = TS_DIR / "node_modules"
    if not folder.is_dir():
        command = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
        installed = subprocess.run(command, cwd=TS_DIR, capture_output=True, text=True, timeout=300)
        assert installed.returncode == 0, installed.stderr
    version = json.loads((folder / "@anthropic-ai" / "sdk" / "package.json").read_text())["version"]
    assert version == PINNED
    record_sdk(pytestconfig, "@anthropic-ai/sdk (TypeScript)", version)
    return folder


@pytest.fixture(scope="module")
def results(node_modules: Path, server: Server, database: Database) -> Results:
    """Run the script once per backend, for a fresh organization; its output by (client, operation)."""
    key = database.run(lambda c: accounts.create_key(c, organization_name=f"ts-{uuid.uuid4()}").key, write=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith("ANTHROPIC_")}
    run = subprocess.run(
        ["node", "user-profiles.mjs"],
        cwd=TS_DIR,
        env={**env, "BASE_URL": server.url, "API_KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    return {(line["client"], line["operation"]): line["result"] for line in lines}


@pytest.mark.compat(client=TS_BETA, operation="create")
def test_beta_create(results: Results) -> None:
    profile = results["beta", "create"]
    assert list(profile) == R2_ORDER
    assert re.fullmatch(r"uprof_[0-9A-Za-z]{24}", profile["id"]) and profile["type"] == "user_profile"
    assert (profile["external_id"], profile["name"], profile["access_type"]) == (
        "user_12345",
        "Ada Example",
        "passthrough",
    )
    assert profile["external_user_onboarded_at"] == "2026-02-01T08:00:00.000000Z"
    assert (profile["metadata"], profile["trust_grants"]) == ({"plan": "pro", "trial": "yes"}, {})
    assert TIMESTAMP.fullmatch(profile["created_at"]) and profile["created_at"] == profile["updated_at"]


@pytest.mark.compat(client=TS_BETA, operation="retrieve")
def test_beta_retrieve(results: Results) -> None:
    assert results["beta", "retrieve"] == results["beta", "create"]


@pytest.mark.compat(client=TS_BETA, operation="update")
def test_beta_update(results: Results) -> None:
    created, updated = results["beta", "create"], results["beta", "update"]
    assert list(updated) == R2_ORDER
    assert (updated["name"], updated["metadata"]) == ("Ada L", {"plan": "team"})
    assert (updated["external_id"], updated["external_user_onboarded_at"]) == (
        created["external_id"],
        created["external_user_onboarded_at"],
    )
    assert updated["updated_at"] > created["updated_at"] and updated["created_at"] == created["created_at"]


@pytest.mark.compat(client=TS_BETA, operation="list")
def test_beta_list_pages_with_for_await(results: Results) -> None:
    listed = results["beta", "list"]
    main, zed, bravo = listed["created"]
    assert listed["desc"] == [bravo, zed, main]  # limit 2: two pages
    assert listed["asc"] == [main, zed, bravo]  # limit 1: three pages
    assert listed["by_name"] == [main, bravo, zed]  # "Ada L", "bravo", "Zed"


@pytest.mark.compat(client=TS_BETA, operation="create_enrollment_url")
def test_beta_create_enrollment_url(results: Results, server: Server) -> None:
    link = results["beta", "create_enrollment_url"]
    assert list(link) == ["type", "url", "expires_at"] and link["type"] == "enrollment_url"
    assert link["url"].startswith(f"{server.url}/enroll/") and TIMESTAMP.fullmatch(link["expires_at"])


@pytest.mark.compat(client=TS_BETA, operation="action_urls.create")
def test_beta_action_url(results: Results, server: Server) -> None:
    link = results["beta", "action_urls.create"]
    assert list(link) == ["type", "url", "expires_at"] and link["type"] == "user_profile_action_url"
    assert link["url"].startswith(f"{server.url}/portal/") and TIMESTAMP.fullmatch(link["expires_at"])


@pytest.mark.compat(client=TS_BETA, operation="delete")
def test_beta_delete(results: Results) -> None:
    deleted = results["beta", "delete"]
    main, zed, bravo = results["beta", "list"]["created"]
    assert deleted["deleted"] == {"id": main, "type": "user_profile_deleted"}
    assert deleted["retrieve_after"] == 404
    assert deleted["listed_after"] == [bravo, zed]


@pytest.mark.compat(client=TS_GA, operation="create")
def test_ga_create(results: Results) -> None:
    profile = results["ga", "create"]
    assert list(profile) == GA_ORDER
    assert (profile["name"], profile["access_type"], profile["metadata"]) == (
        "Northwind Labs",
        "passthrough",
        {"tier": "enterprise"},
    )
    assert profile["external_user_details"] == {
        **NO_DETAILS,
        "country": "DE",
        "onboarded_at": "2026-02-01T08:00:00.000000Z",
        "reference_id": "cust_889",
    }
    assert profile["programs"] == {"cyber": None, "efs": None}
    assert (profile["enforcement_status"], profile["enforcement_actions"]) == ("unrestricted", [])
    assert TIMESTAMP.fullmatch(profile["created_at"]) and profile["created_at"] == profile["updated_at"]


@pytest.mark.compat(client=TS_GA, operation="retrieve")
def test_ga_retrieve(results: Results) -> None:
    assert results["ga", "retrieve"] == results["ga", "create"]


@pytest.mark.compat(client=TS_GA, operation="update")
def test_ga_update(results: Results) -> None:
    created, updated = results["ga", "create"], results["ga", "update"]
    assert list(updated) == GA_ORDER
    assert updated["external_user_details"] == {**created["external_user_details"], "account_status": "suspended"}
    assert updated["updated_at"] > created["updated_at"]


@pytest.mark.compat(client=TS_GA, operation="list")
def test_ga_list_pages_and_filters(results: Results) -> None:
    listed = results["ga", "list"]
    first, second = listed["created"]
    assert listed["desc"] == [second, first]
    assert listed["unrestricted"] == [second, first]  # enforcement_status[]=unrestricted, one per page
    assert listed["banned"] == []


@pytest.mark.compat(client=TS_GA, operation="action_urls.create")
def test_ga_action_url(results: Results, server: Server) -> None:
    link = results["ga", "action_urls.create"]
    assert list(link) == ["type", "url", "expires_at"] and link["type"] == "user_profile_action_url"
    assert link["url"].startswith(f"{server.url}/portal/")


@pytest.mark.compat(client=TS_GA, operation="delete")
def test_ga_delete(results: Results) -> None:
    deleted = results["ga", "delete"]
    first, second = results["ga", "list"]["created"]
    assert deleted["deleted"] == {"id": first, "type": "user_profile_deleted"}
    assert (deleted["retrieve_after"], deleted["listed_after"]) == (404, [second])


def test_every_operation_printed_once(results: Results) -> None:
    beta = ["create", "retrieve", "update", "list", "create_enrollment_url", "action_urls.create", "delete"]
    ga = ["create", "retrieve", "update", "list", "action_urls.create", "delete"]
    assert list(results) == [("beta", op) for op in beta] + [("ga", op) for op in ga]
