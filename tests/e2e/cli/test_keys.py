"""`uprof keys create`, `list` and `revoke` (docs/reference/cli.md §2–§4), and a key revoked while the server runs."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import httpx

from tests.e2e.cli.support import (
    ADMIN_KEY,
    GA_HEADERS,
    Call,
    created_line,
    json_lines,
    run_all,
    scalar_rows,
    uprof,
)
from tests.e2e.conftest import Server

STANDARD_KEY = re.compile(r"sk-uprof-[0-9A-Za-z]{48}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SHORT_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def table_rows(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    """`keys list` output split into cells (cells are separated by at least two spaces)."""
    assert result.returncode == 0, result.stderr
    return [re.split(r" {2,}", line.strip()) for line in result.stdout.splitlines()]


def test_keys_create_list_and_revoke(empty_database_url: str) -> None:
    url = ["--database-url", empty_database_url]
    workspace = "wrkspc_" + "Ab1" * 21 + "Z"  # the longest allowed: 64 characters after the prefix
    long_name = "n" * 100

    # The first command migrates the empty database; the rest may then run side by side.
    standard = uprof("keys", "create", "--name", "billing service", *url)
    assert standard.returncode == 0, standard.stderr
    in_workspace, admin, named = run_all(
        [
            Call(["keys", "create", "--workspace", workspace, *url]),
            Call(["keys", "create", "--admin", "--name", "ops", *url]),
            Call(["keys", "create", "--name", long_name, *url]),
        ]
    )
    for result, pattern in [
        (standard, STANDARD_KEY),
        (in_workspace, STANDARD_KEY),
        (admin, ADMIN_KEY),
        (named, STANDARD_KEY),
    ]:
        assert result.returncode == 0, result.stderr
        assert pattern.fullmatch(result.stdout.removesuffix("\n")), result.stdout  # the key alone, one line
        assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    keys = {
        created_line(standard, "standard"): (standard.stdout.strip(), "billing service", "standard", None),
        created_line(in_workspace, f"workspace {workspace}"): (in_workspace.stdout.strip(), "", "workspace", workspace),
        created_line(admin, "admin"): (admin.stdout.strip(), "ops", "admin", None),
        created_line(named, "standard"): (named.stdout.strip(), long_name, "standard", None),
    }
    assert len({key for key, *_ in keys.values()}) == 4

    revoked_id = created_line(standard, "standard")
    first, unknown = run_all(
        [Call(["keys", "revoke", revoked_id, *url]), Call(["keys", "revoke", "apikey_" + "x" * 24, *url])]
    )
    assert first.returncode == 0, first.stderr
    assert "already" not in first.stdout
    assert unknown.returncode == 1 and unknown.stdout == ""

    again, active, everything, table = run_all(
        [
            Call(["keys", "revoke", revoked_id, *url]),
            Call(["keys", "list", "--json", *url]),
            Call(["keys", "list", "--all", "--json", *url]),
            Call(["keys", "list", "--all", *url]),
        ]
    )
    assert (again.returncode, again.stdout) == (0, f"{revoked_id} was already revoked\n"), again.stderr
    assert {row["id"] for row in json_lines(active)} == set(keys) - {revoked_id}

    listed = json_lines(everything)
    assert [row["id"] for row in listed] == [row[0] for row in table_rows(table)[1:]]
    assert {row["id"] for row in listed} == set(keys)
    assert [row["created_at"] for row in listed] == sorted((row["created_at"] for row in listed), reverse=True)
    assert listed[-1]["id"] == revoked_id  # created first, listed last
    for row in listed:
        key, name, kind, workspace_id = keys[row["id"]]
        assert set(row) == {"id", "name", "kind", "workspace_id", "hint", "created_at", "last_used_at", "revoked_at"}
        assert (row["name"], row["kind"], row["workspace_id"], row["hint"]) == (name, kind, workspace_id, key[-4:])
        assert TIMESTAMP.fullmatch(row["created_at"])
        assert row["last_used_at"] is None
        if row["id"] == revoked_id:
            assert TIMESTAMP.fullmatch(row["revoked_at"]) and row["revoked_at"] >= row["created_at"]
        else:
            assert row["revoked_at"] is None
    check_table(table, keys, revoked_id)
    for key, *_ in keys.values():
        for output in (active.stdout, everything.stdout, table.stdout):
            assert key[9:-4] not in output  # neither the key nor any part of it beyond the hint


def check_table(
    result: subprocess.CompletedProcess[str], keys: dict[str, tuple[str, str, str, str | None]], revoked_id: str
) -> None:
    header, *rows = table_rows(result)
    assert header == ["ID", "NAME", "KIND", "WORKSPACE", "KEY", "CREATED", "LAST USED", "REVOKED"]
    assert len(rows) == len(keys)
    for key_id, name, kind, workspace_id, hint, created, last_used, revoked in rows:
        key, expected_name, expected_kind, expected_workspace = keys[key_id]
        assert name == (expected_name or "-")
        assert (kind, workspace_id) == (expected_kind, expected_workspace or "-")
        # The prefix the key itself starts with: an admin key's shows it is one.
        assert hint == ("sk-uprof-admin-…" if kind == "admin" else "sk-uprof-…") + key[-4:]
        assert key.startswith(hint.split("…")[0])
        assert SHORT_TIMESTAMP.fullmatch(created)
        assert last_used == "-"
        assert SHORT_TIMESTAMP.fullmatch(revoked) if key_id == revoked_id else revoked == "-"


def test_keys_create_organization_creates_it_on_first_use(empty_database_url: str) -> None:
    url = ["--database-url", empty_database_url]
    acme_name = "Acme, Inc. — research"
    default = uprof("keys", "create", *url)
    first_acme = uprof("keys", "create", "--organization", acme_name, *url)
    second_acme, other = run_all(
        [
            Call(["keys", "create", "--organization", acme_name, *url]),
            Call(["keys", "create", "--organization", "b", *url]),
        ]
    )
    ids = {}
    for label, result in [("default", default), ("acme1", first_acme), ("acme2", second_acme), ("other", other)]:
        assert result.returncode == 0, result.stderr
        ids[label] = created_line(result, "standard")

    organizations = {
        name: (str(organization_id), bool(is_default))
        for organization_id, name, is_default in scalar_rows(
            empty_database_url, "SELECT id, name, is_default FROM organization"
        )
    }
    assert set(organizations) == {"default", acme_name, "b"}
    assert organizations["default"][1] and not organizations[acme_name][1] and not organizations["b"][1]
    for organization_id, _ in organizations.values():
        assert str(uuid.UUID(organization_id)) == organization_id
    owner = {
        key_id: str(organization_id)
        for key_id, organization_id in scalar_rows(empty_database_url, "SELECT id, organization_id FROM api_key")
    }
    assert owner[ids["default"]] == organizations["default"][0]
    assert owner[ids["acme1"]] == owner[ids["acme2"]] == organizations[acme_name][0]
    assert owner[ids["other"]] == organizations["b"][0]


def test_keys_create_rejects_bad_options_before_touching_the_database(tmp_path: Path) -> None:
    never = tmp_path / "never.db"
    url = ["--database-url", f"sqlite:///{never}"]
    cases = [
        (["--workspace", "wrkspc_"], "--workspace"),
        (["--workspace", "wrkspc_" + "a" * 65], "--workspace"),
        (["--workspace", "wrkspc_team-1"], "--workspace"),
        (["--workspace", "wrkspc_tëam"], "--workspace"),
        (["--workspace", "workspace_team"], "--workspace"),
        (["--admin", "--workspace", "wrkspc_team"], "--admin"),
        (["--name", "n" * 101], "--name"),
        (["--organization", ""], "--organization"),
    ]
    results = run_all([Call(["keys", "create", *args, *url]) for args, _ in cases], cwd=tmp_path)
    for (args, option), result in zip(cases, results, strict=True):
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "", args
        assert option in result.stderr, (args, result.stderr)
    assert not never.exists()
    assert list(tmp_path.iterdir()) == []


# -- a revoked key and a running server -------------------------------------------------------------


def test_a_revoked_key_is_refused_from_the_next_request(server: Server) -> None:
    url = ["--database-url", server.database_url]
    created = uprof("keys", "create", "--organization", f"cli-{uuid.uuid4()}", *url)
    assert created.returncode == 0, created.stderr
    key, key_id = created.stdout.strip(), created_line(created, "standard")
    with httpx.Client(base_url=server.url, headers={"x-api-key": key, **GA_HEADERS}, timeout=10) as http:
        assert http.get("/v1/user_profiles").status_code == 200  # also keeps a connection open across the revoke
        revoked = uprof("keys", "revoke", key_id, *url)
        assert revoked.returncode == 0, revoked.stderr
        response = http.get("/v1/user_profiles")
    assert response.status_code == 401
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "authentication_error"
    assert response.json()["error"]["message"] == "invalid API key"
