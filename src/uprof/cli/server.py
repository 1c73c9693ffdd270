"""`uprof serve` (docs/reference/cli.md §1): check the options, migrate, make the first key, then serve."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from sqlalchemy import Connection

from uprof import logs
from uprof.accounts import service as accounts
from uprof.cli.port import cannot_listen
from uprof.cli.support import (
    AS_LOG_RECORDS,
    ENVIRONMENT_BOOLEAN,
    database_url_option,
    fail,
    in_transaction,
    key_given,
    open_database,
    open_secret_box,
    reseal_secrets,
    say,
    secret_key_file_option,
    secret_key_option,
    webhook_allow_cidr_option,
    webhook_max_attempts_option,
    webhook_max_per_organization_option,
    webhook_retention_days_option,
    webhook_retry_base_option,
    webhook_timeout_option,
)
from uprof.config import Settings
from uprof.db.unit_of_work import Database
from uprof.portability.importer import new_sqlite_files
from uprof.webhooks import service as webhook_endpoints


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


@click.command()
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
    "--forwarded-allow-ips",
    envvar="UPROF_FORWARDED_ALLOW_IPS",
    default="127.0.0.1,::1",
    show_default=True,
    help="Comma-separated addresses or networks of the proxies whose X-Forwarded-For and X-Forwarded-Proto "
    "give a request's client address and scheme (uvicorn's convention; `*` trusts every peer).",
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
    "--client-timeout",
    envvar="UPROF_CLIENT_TIMEOUT",
    type=click.IntRange(1, 3600),
    default=30,
    show_default=True,
    help="Seconds a client has to send a whole request (headers and body); a slower one gets a 400.",
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
@webhook_allow_cidr_option
@webhook_max_per_organization_option
@webhook_retention_days_option
@webhook_retry_base_option
@secret_key_option
@secret_key_file_option
@click.option(
    "--data-controls-delay",
    envvar="UPROF_DATA_CONTROLS_DELAY",
    type=click.FloatRange(0, 86_400),
    default=10.0,
    show_default=True,
    help="Seconds until a data control's pending key or bucket passes (or fails, as the operator decided).",
)
@click.option(
    "--data-controls-retention",
    envvar="UPROF_DATA_CONTROLS_RETENTION",
    type=click.IntRange(1, 366 * 86_400),
    default=7 * 86_400,
    show_default=True,
    help="Seconds a retired data control key or bucket stays listed.",
)
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
    "--test-controls",
    envvar="UPROF_TEST_CONTROLS",
    type=ENVIRONMENT_BOOLEAN,
    is_flag=True,
    default=False,
    help="Run as a test double: the control API under /_uprof/, a virtual clock, a request journal and"
    " injected faults (docs/testing.md). Never in production.",
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
    problem = cannot_listen(settings.host, settings.port)
    if problem is not None:
        fail(problem)  # before the database and the key file, so that nothing is created
    # A key file is created only for a database that holds no encrypted secret yet: starting from
    # another directory, or on a second host, must not quietly make a key that opens nothing.
    box = open_secret_box(settings, create=False) if key_given(settings) else None
    new_files = new_sqlite_files(settings.database_url)
    database = open_database(settings.database_url, settings.sqlite_synchronous, create=True)
    if box is None:
        with _removed_if_refused(database, new_files):
            if in_transaction(database, webhook_endpoints.holds_sealed_secrets):
                raise click.BadParameter(
                    f"the key file {settings.secret_key_file} does not exist, and this database holds webhook"
                    " signing secrets encrypted with a secret key: give that key (UPROF_SECRET_KEY or"
                    " --secret-key-file)",
                    param_hint="--secret-key-file",
                )
            box = open_secret_box(settings, create=True)
    created = in_transaction(database, _bootstrap)
    if created is not None:
        click.echo(created.key)
        say(f"first start — created admin API key {created.id}; it will not be shown again")
    reseal_secrets(database, box)
    if settings.test_controls:
        say("test controls are on: the control API answers under /_uprof/ (docs/testing.md); not for production")
    if settings.workers == 1:
        _run_server(settings, database)  # for sqlite:///:memory: the only database there is
    else:
        database.engine.dispose()  # each worker process opens its own
        _run_server(settings, None)


@contextlib.contextmanager
def _removed_if_refused(database: Database, new_files: list[Path]) -> Iterator[None]:
    """On a refusal (exit 2) of a first start, remove the SQLite files it created, so that it leaves
    nothing behind."""
    try:
        yield
    except click.BadParameter:
        database.engine.dispose()
        for path in new_files:
            path.unlink(missing_ok=True)
        raise


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
