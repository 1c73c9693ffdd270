"""The `uprof` command: serve, keys, db. Thin: it parses options and calls the same services as the API."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from uprof import __version__, logs
from uprof.accounts import service as accounts
from uprof.config import DEFAULT_DATABASE_URL, DEFAULT_SECRET_KEY_FILE, Settings
from uprof.db import migrate
from uprof.db.engine import DatabaseUrlError, make_engine, redact_url
from uprof.db.unit_of_work import Database, DatabaseBusy
from uprof.secret_key import BoxOnDemand, NewKeyFile, SecretKeyError, load_keys
from uprof.timestamps import format_timestamp
from uprof.webhooks import service as webhook_endpoints
from uprof.webhooks.secret_box import SecretBox

T = TypeVar("T")

database_url_option = click.option(
    "--database-url",
    envvar="UPROF_DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="sqlite:///PATH or postgresql://USER:PASS@HOST:PORT/DB.",
)


# The key that encrypts webhook signing secrets: `serve`, `webhooks dispatch`, `export` and `import`.
secret_key_option = click.option(
    "--secret-key",
    envvar="UPROF_SECRET_KEY",
    default=None,
    help="Fernet key(s) that encrypt webhook signing secrets, comma-separated: the first encrypts, all "
    "decrypt. Prefer the variable to the flag  [default: the key in --secret-key-file]",
)
secret_key_file_option = click.option(
    "--secret-key-file",
    envvar="UPROF_SECRET_KEY_FILE",
    default=DEFAULT_SECRET_KEY_FILE,
    show_default=True,
    help="File with the secret key when --secret-key is not given; `import`, and `serve` on a database "
    "without encrypted secrets, create it if missing.",
)


# Delivery options shared by `serve` and `webhooks dispatch` (cli.md §1).
webhook_timeout_option = click.option(
    "--webhook-timeout",
    envvar="UPROF_WEBHOOK_TIMEOUT",
    type=click.IntRange(1, 60),
    default=10,
    show_default=True,
    help="Seconds per webhook delivery attempt.",
)
webhook_max_attempts_option = click.option(
    "--webhook-max-attempts",
    envvar="UPROF_WEBHOOK_MAX_ATTEMPTS",
    type=click.IntRange(1, 50),
    default=15,
    show_default=True,
    help="Attempts before a webhook delivery is given up.",
)
webhook_retention_days_option = click.option(
    "--webhook-retention-days",
    envvar="UPROF_WEBHOOK_RETENTION_DAYS",
    type=click.IntRange(1, 36_500),
    default=30,
    show_default=True,
    help="Days to keep finished webhook deliveries.",
)
# Test-only: shortens the retry schedule (30 s × 2^(n−1)) so tests can watch retries happen.
webhook_retry_base_option = click.option(
    "--webhook-retry-base-seconds",
    envvar="UPROF_WEBHOOK_RETRY_BASE_SECONDS",
    type=click.FloatRange(0.01, 30.0),
    default=30.0,
    hidden=True,
)


# cli.md: the spellings a boolean may have in the environment, case-insensitive.
ENVIRONMENT_BOOLEANS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


class EnvironmentBoolean(click.types.BoolParamType):
    """The type of a boolean flag: from the environment, only the spellings cli.md lists (click's own
    boolean would also take t, f, y, n), and an error that lists exactly those."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bool:
        if isinstance(value, bool):
            return value
        spelled = ENVIRONMENT_BOOLEANS.get(str(value).strip().lower())
        if spelled is None:
            self.fail(f"{value!r} is not a boolean: use one of {', '.join(ENVIRONMENT_BOOLEANS)}", param, ctx)
        return spelled


ENVIRONMENT_BOOLEAN = EnvironmentBoolean()
# Set in the click context by `serve` once logging is set up: from then on the messages of `say` and
# `fail` are log records, so that with --log-format json every line on stderr is one JSON object.
AS_LOG_RECORDS = "uprof.as_log_records"


def say(message: str, *, level: int = logging.INFO) -> None:
    """Tell the operator `message` on stderr: `uprof: <message>`, or a log record in `serve`."""
    context = click.get_current_context(silent=True)
    if context is not None and context.meta.get(AS_LOG_RECORDS):
        logs.status(message, level=level)
    else:
        click.echo(f"uprof: {message}", err=True)


def fail(message: str) -> None:
    """Report an operational failure (exit code 1)."""
    say(message, level=logging.ERROR)
    sys.exit(1)


def open_database(url: str, sqlite_synchronous: str = "normal") -> Database:
    """Connect and apply pending migrations, as every data command does first (exit 1 on failure)."""
    try:
        database = Database(make_engine(url, sqlite_synchronous=sqlite_synchronous))
        migrate.upgrade(database)
    except DatabaseUrlError as error:
        raise click.BadParameter(str(error), param_hint="--database-url") from None
    except migrate.NewerDatabaseError as error:
        fail(f"{error}: it was migrated by a newer uprof")
    except (SQLAlchemyError, DatabaseBusy) as error:
        # An unreachable PostgreSQL surfaces as DatabaseBusy (see unit_of_work), not as SQLAlchemyError.
        fail(f"cannot use database {redact_url(url)}: {error.__class__.__name__}: {getattr(error, 'orig', error)}")
    return database


def open_secret_box(settings: Settings, *, create: bool) -> SecretBox:
    """The box of the configured secret key (exit 2 when the settings name no usable key); with
    `create`, a missing key file is made, and said so."""
    try:
        keys = load_keys(settings, create=create)
    except SecretKeyError as error:
        hint = "--secret-key / UPROF_SECRET_KEY" if settings.secret_key else "--secret-key-file"
        raise click.BadParameter(str(error), param_hint=hint) from None
    if keys.created_file is not None:
        announce_key_file(keys.created_file)
    return SecretBox(keys.keys)


def announce_key_file(path: Path) -> None:
    say(
        f"created the secret key file {path}: it encrypts the webhook signing secrets, back it up with the"
        " database (they cannot be recovered without it)"
    )


def key_given(settings: Settings) -> bool:
    """Whether the settings name a key: one given outright, or a key file that exists."""
    return bool(settings.secret_key) or Path(settings.secret_key_file).exists()


def reseal_secrets(database: Database, box: SecretBox) -> None:
    """Encrypt stored signing secrets still in plaintext (or under an older key), in one transaction."""
    resealed = in_transaction(database, lambda c: webhook_endpoints.reseal_secrets(c, box))
    if resealed.count:
        say(f"encrypted {resealed.count} stored webhook signing secrets with the secret key")
    if resealed.unreadable:
        say(
            f"warning: no configured secret key decrypts the signing secrets of webhook endpoints "
            f"{', '.join(resealed.unreadable)}; their deliveries fail until the key they were encrypted with "
            "is configured or their secrets are regenerated",
            level=logging.WARNING,
        )


def in_transaction(database: Database, work: Callable[[Connection], T]) -> T:
    try:
        return database.run(work, write=True)
    except SQLAlchemyError as error:
        fail(f"database error: {getattr(error, 'orig', error)}")
        raise  # unreachable: fail() exits


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="uprof")
def main() -> None:
    """uprof: a self-hostable User Profiles API server for the official Anthropic SDKs."""


def _validate_public_base_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    message = "must be an absolute http(s) URL without query or fragment"
    try:
        parts = urlsplit(value)
    except ValueError:
        raise click.BadParameter(message) from None
    # Even an empty `?` or `#` is refused: links are made by appending to this URL, and a token
    # appended after `?` would land in the query string.
    if parts.scheme not in ("http", "https") or not parts.hostname or "?" in value or "#" in value:
        raise click.BadParameter(message)
    if "@" in parts.netloc:  # the URL is shown in the listening line and in every link
        raise click.BadParameter("must not hold a user name or password")
    return value.rstrip("/")


@main.command()
@click.option("--host", envvar="UPROF_HOST", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port", envvar="UPROF_PORT", type=click.IntRange(1, 65535), default=8080, show_default=True, help="TCP port."
)
@database_url_option
@click.option(
    "--sqlite-synchronous",
    envvar="UPROF_SQLITE_SYNCHRONOUS",
    type=click.Choice(["normal", "full"]),
    default="normal",
    show_default=True,
    help="SQLite durability: full survives power loss.",
)
@click.option(
    "--workers",
    envvar="UPROF_WORKERS",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes.",
)
@click.option(
    "--public-base-url",
    envvar="UPROF_PUBLIC_BASE_URL",
    callback=_validate_public_base_url,
    help="Absolute URL used in enrollment and portal links  [default: http://HOST:PORT]",
)
@click.option(
    "--max-body-bytes",
    envvar="UPROF_MAX_BODY_BYTES",
    type=click.IntRange(1),
    default=1_048_576,
    show_default=True,
    help="Request body limit in bytes.",
)
@click.option(
    "--link-ttl",
    envvar="UPROF_LINK_TTL",
    type=click.IntRange(60, 86_400),
    default=900,
    show_default=True,
    help="Lifetime of enrollment and portal links, in seconds.",
)
@click.option(
    "--rate-limit",
    envvar="UPROF_RATE_LIMIT",
    type=click.IntRange(0, 1_000_000),
    default=0,
    show_default=True,
    help="Requests per minute per API key; 0 turns rate limiting off.",
)
@click.option(
    "--rate-limit-burst",
    envvar="UPROF_RATE_LIMIT_BURST",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Requests a key may make at once after a pause  [default: same as --rate-limit]",
)
@webhook_timeout_option
@webhook_max_attempts_option
@click.option(
    "--webhook-allow-http",
    envvar="UPROF_WEBHOOK_ALLOW_HTTP",
    type=ENVIRONMENT_BOOLEAN,
    is_flag=True,
    default=False,
    help="Accept http:// webhook endpoint URLs for any host (always allowed for loopback).",
)
@webhook_retention_days_option
@webhook_retry_base_option
@secret_key_option
@secret_key_file_option
@click.option(
    "--console/--no-console",
    envvar="UPROF_CONSOLE",
    type=ENVIRONMENT_BOOLEAN,
    default=True,
    show_default=True,
    help="Serve the operator console under /console.",
)
@click.option(
    "--metrics/--no-metrics",
    envvar="UPROF_METRICS",
    type=ENVIRONMENT_BOOLEAN,
    default=True,
    show_default=True,
    help="Serve Prometheus metrics at /metrics.",
)
@click.option(
    "--metrics-token",
    envvar="UPROF_METRICS_TOKEN",
    default=None,
    help="Require `Authorization: Bearer TOKEN` on /metrics.",
)
@click.option(
    "--log-level",
    envvar="UPROF_LOG_LEVEL",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Least severe level logged.",
)
@click.option(
    "--log-format",
    envvar="UPROF_LOG_FORMAT",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines as text or as one JSON object each.",
)
def serve(**options: Any) -> None:
    """Run the API server (applies pending migrations first).

    Before serving it encrypts any webhook signing secrets still stored in plaintext.
    """
    settings = Settings(**options)
    if settings.workers > 1 and settings.database_url.endswith(":memory:"):
        raise click.BadParameter("an in-memory SQLite database needs --workers 1", param_hint="--workers")
    logs.configure(settings.log_level, settings.log_format)
    click.get_current_context().meta[AS_LOG_RECORDS] = True
    # A key file is created only for a database that holds no encrypted secret yet: starting from
    # another directory, or on a second host, must not quietly make a key that opens nothing.
    box = open_secret_box(settings, create=False) if key_given(settings) else None
    database = open_database(settings.database_url, settings.sqlite_synchronous)
    if box is None:
        if in_transaction(database, webhook_endpoints.holds_sealed_secrets):
            raise click.BadParameter(
                f"the key file {settings.secret_key_file} does not exist, and this database holds webhook signing"
                " secrets encrypted with a secret key: give that key (UPROF_SECRET_KEY or --secret-key-file)",
                param_hint="--secret-key-file",
            )
        box = open_secret_box(settings, create=True)
    created = in_transaction(database, _bootstrap)
    if created is not None:
        click.echo(created.key)
        say(f"first start — created admin API key {created.id}; it will not be shown again")
    reseal_secrets(database, box)
    if settings.workers == 1:
        _run_server(settings, database)  # for sqlite:///:memory: the only database there is
    else:
        database.engine.dispose()  # each worker process opens its own
        _run_server(settings, None)


def _bootstrap(connection: Connection) -> accounts.CreatedKey | None:
    accounts.ensure_default_organization(connection)
    if accounts.has_any_key(connection):
        return None
    return accounts.create_key(connection, name="bootstrap", admin=True)


def _run_server(settings: Settings, database: Database | None) -> None:
    from uprof.serving import serve  # uvicorn and the app load only for this command

    try:
        serve(settings, database)
    except SystemExit as exit_:
        # uvicorn exits 1 or 3 when it cannot start (typically: the port is taken); an operational failure.
        if exit_.code not in (None, 0):
            fail(f"cannot serve on {settings.host}:{settings.port} (see the error above)")
        raise


@main.group()
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
                f"sk-uprof-…{row.hint}",  # as cli.md §3 shows every kind, admin keys too
                _short_time(row.created_at),
                _short_time(row.last_used_at),
                _short_time(row.revoked_at),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


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


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@database_url_option
def db_upgrade(database_url: str) -> None:
    """Apply pending migrations and print the revision the database is at."""
    database = open_database(database_url)
    click.echo(f"database is at revision {migrate.head_revision()}")
    database.engine.dispose()


# Export and import (cli.md §6-7): the work is in uprof.portability, imported when needed.
progress_option = click.option(
    "--no-progress",
    "progress",
    flag_value=False,
    default=True,
    envvar="UPROF_PROGRESS",
    type=ENVIRONMENT_BOOLEAN,
    help="Draw no progress bar (one is drawn on stderr only when it is a terminal).",
)


@main.command("export", short_help="Write the whole database as JSON Lines.")
@click.argument("file", required=False, default="-", type=click.Path(dir_okay=False, allow_dash=True))
@database_url_option
@secret_key_option
@secret_key_file_option
@progress_option
def export_command(file: str, database_url: str, secret_key: str | None, secret_key_file: str, progress: bool) -> None:
    """Write the whole database as JSON Lines to FILE (stdout when FILE is absent or -).

    Reads one consistent snapshot, so it may run while servers are serving. The file holds key
    hashes and the webhook signing secrets, decrypted with the server's secret key (needed only when
    the database holds encrypted signing secrets): treat it as a secret.
    """
    from uprof.portability import export
    from uprof.portability.progress import wanted
    from uprof.webhooks.secret_box import SecretUnreadable

    settings = Settings(database_url=database_url, secret_key=secret_key, secret_key_file=secret_key_file)
    # Without a key the export still runs: only a sealed signing secret needs one (exit 1 then).
    box = open_secret_box(settings, create=False) if key_given(settings) else BoxOnDemand(settings)
    database = open_database(database_url)
    try:
        count = export.export_to(database, file, box, show_progress=wanted(progress))
    except SecretUnreadable as error:
        fail(f"export failed: {error}; give the secret key the server uses")
    except SecretKeyError as error:
        fail(f"export failed: a webhook signing secret is encrypted, and {error}")
    except (SQLAlchemyError, DatabaseBusy, OSError) as error:
        fail(f"export failed: {getattr(error, 'orig', error)}")
    finally:
        database.engine.dispose()
    click.echo(f"exported {count} records", err=True)


@main.command("import", short_help="Load an export into an empty database.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@database_url_option
@secret_key_option
@secret_key_file_option
@progress_option
def import_command(file: str, database_url: str, secret_key: str | None, secret_key_file: str, progress: bool) -> None:
    """Load FILE, written by `uprof export` (- for stdin), into an empty database: all or nothing.

    IDs, timestamps, key hashes and signing secrets are kept, so existing keys keep working. The
    signing secrets are encrypted with the secret key of the server that will serve the database.
    A rejected import leaves nothing behind: no key file, and no database file that it created.
    """
    from uprof.portability.importer import ImportRejected, TargetNotEmpty, import_from, new_sqlite_files
    from uprof.portability.progress import wanted

    settings = Settings(database_url=database_url, secret_key=secret_key, secret_key_file=secret_key_file)
    # A missing key file gets a new key, written only when the import is about to commit.
    new_key = None if key_given(settings) else NewKeyFile(Path(settings.secret_key_file))
    box = open_secret_box(settings, create=False) if new_key is None else new_key.box()
    new_files = new_sqlite_files(database_url)
    database = open_database(database_url)
    before_commit = None if new_key is None else new_key.write
    problem = None
    try:
        count = import_from(database, file, box, show_progress=wanted(progress), before_commit=before_commit)
    except ImportRejected as error:
        click.echo(str(error), err=True)
        problem = "import rejected; the database is unchanged"
    except TargetNotEmpty as error:
        problem = f"import rejected: {error}; import into a new database prepared with `uprof db upgrade`"
    except SecretKeyError as error:
        problem = f"import failed, the database is unchanged: {error}"
    except (SQLAlchemyError, DatabaseBusy, OSError) as error:
        problem = f"import failed, the database is unchanged: {getattr(error, 'orig', error)}"
    finally:
        database.engine.dispose()
    if problem is not None:
        if new_key is not None:
            new_key.remove()
        for path in new_files:
            path.unlink(missing_ok=True)
        fail(problem)
    if new_key is not None:
        announce_key_file(new_key.path.absolute())
    click.echo(f"imported {count} records", err=True)


@main.group()
def webhooks() -> None:
    """Webhook delivery."""


@webhooks.command("dispatch")
@database_url_option
@webhook_timeout_option
@webhook_max_attempts_option
@webhook_retention_days_option
@webhook_retry_base_option
@secret_key_option
@secret_key_file_option
def webhooks_dispatch(**options: Any) -> None:
    """Deliver webhooks without serving HTTP, until SIGINT or SIGTERM (servers run their own dispatcher too).

    Needs the secret key the servers use; encrypts plaintext webhook secrets first, as `serve` does.
    """
    import asyncio

    from uprof import logs
    from uprof.webhooks.dispatcher import run_until_signalled

    settings = Settings(**options)
    box = open_secret_box(settings, create=False)
    database = open_database(settings.database_url)
    reseal_secrets(database, box)
    logs.configure("info", "text")
    try:
        asyncio.run(run_until_signalled(database, settings, box))
    finally:
        database.engine.dispose()
