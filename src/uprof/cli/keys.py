"""`uprof keys create|list|revoke` (docs/reference/cli.md §2-§4)."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from uprof.accounts import service as accounts
from uprof.cli.support import database_url_option, fail, in_transaction, open_database
from uprof.timestamps import format_timestamp


@click.group()
def keys() -> None:
    """Create, list and revoke API keys."""


WORKSPACE_PATTERN = re.compile(r"wrkspc_[A-Za-z0-9]{1,64}", re.ASCII)


@keys.command("create")
@click.option("--name", default="", help="A label for humans, 0-100 characters.")
@click.option("--workspace", "workspace_id", help="Scope the key to this workspace (wrkspc_…).")
@click.option("--admin", is_flag=True, help="Create an admin key (Admin API, webhooks, console).")
@click.option("--organization", "organization_name", help="Organization name (created on first use).")
@database_url_option
def keys_create(
    name: str, workspace_id: str | None, admin: bool, organization_name: str | None, database_url: str
) -> None:
    """Create an API key and print it (only the key, on stdout; it is never shown again)."""
    if len(name) > 100:
        raise click.BadParameter("must be at most 100 characters", param_hint="--name")
    if workspace_id is not None and not WORKSPACE_PATTERN.fullmatch(workspace_id):
        raise click.BadParameter("must be wrkspc_ followed by 1-64 ASCII letters or digits", param_hint="--workspace")
    if admin and workspace_id is not None:
        raise click.UsageError("--admin cannot be combined with --workspace")
    if organization_name is not None and not 1 <= len(organization_name) <= 100:
        raise click.BadParameter("must be 1 to 100 characters", param_hint="--organization")
    database = open_database(database_url)
    created = in_transaction(
        database,
        lambda c: accounts.create_key(
            c, name=name, admin=admin, workspace_id=workspace_id, organization_name=organization_name
        ),
    )
    click.echo(created.key)
    kind = f"workspace {created.workspace_id}" if created.kind == "workspace" else created.kind
    click.echo(f"created {created.id} ({kind})", err=True)


@keys.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per key and line.")
@database_url_option
def keys_list(include_revoked: bool, as_json: bool, database_url: str) -> None:
    """List API keys, newest first."""
    database = open_database(database_url)
    rows = in_transaction(database, lambda c: accounts.list_keys(c, include_revoked=include_revoked))
    if as_json:
        for row in rows:
            click.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "name": row.name,
                        "kind": row.kind,
                        "workspace_id": row.workspace_id,
                        "hint": row.hint,
                        "created_at": _time(row.created_at),
                        "last_used_at": _time(row.last_used_at),
                        "revoked_at": _time(row.revoked_at),
                    }
                )
            )
        return
    table = [("ID", "NAME", "KIND", "WORKSPACE", "KEY", "CREATED", "LAST USED", "REVOKED")]
    for row in rows:
        table.append(
            (
                row.id,
                row.name or "-",
                row.kind,
                row.workspace_id or "-",
                f"{_prefix(row.kind)}…{row.hint}",
                _short_time(row.created_at),
                _short_time(row.last_used_at),
                _short_time(row.revoked_at),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _prefix(kind: str) -> str:
    """How keys of `kind` begin, as the key hint shows them: an admin key's reads as one."""
    return "sk-uprof-admin-" if kind == "admin" else "sk-uprof-"


def _time(value: Any) -> str | None:
    return None if value is None else format_timestamp(value)


def _short_time(value: Any) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@keys.command("revoke")
@click.argument("key_id")
@database_url_option
def keys_revoke(key_id: str, database_url: str) -> None:
    """Revoke a key at once, in every server process. Cannot be undone."""
    database = open_database(database_url)
    outcome = in_transaction(database, lambda c: accounts.revoke_key(c, key_id))
    if outcome is None:
        fail(f"no API key with ID {key_id}")
    click.echo(f"{key_id} was already revoked" if outcome is False else f"revoked {key_id}")
