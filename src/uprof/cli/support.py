"""What every `uprof` command shares: option declarations, the boolean type of the environment,
messages and exits, opening the database and the secret key."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from uprof import logs
from uprof.cli.database_file import missing_database, missing_folder
from uprof.config import DEFAULT_DATABASE_URL, DEFAULT_SECRET_KEY_FILE, Settings
from uprof.crypto.key_file import SecretKeyError, load_keys
from uprof.crypto.sealing import SecretBox
from uprof.db import migrate
from uprof.db.engine import DatabaseUrlError, make_engine, redact_url
from uprof.db.unit_of_work import Database, DatabaseBusy
from uprof.webhooks import service as webhook_endpoints
from uprof.webhooks.egress import parse_networks

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


# Delivery options shared by `serve` and `webhooks dispatch` (docs/reference/cli.md §1).
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


def _cidr_ranges(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Each value may hold several ranges, comma- or space-separated (UPROF_WEBHOOK_ALLOW_CIDRS)."""
    ranges = tuple(part for value in values for part in value.replace(",", " ").split())
    try:
        parse_networks(ranges)
    except ValueError as error:
        raise click.BadParameter(f"not a CIDR range: {error}") from None
    return ranges


webhook_allow_cidr_option = click.option(
    "--webhook-allow-cidr",
    "webhook_allow_cidrs",
    envvar="UPROF_WEBHOOK_ALLOW_CIDRS",
    multiple=True,
    default=(),
    callback=_cidr_ranges,
    metavar="CIDR",
    help="Also let webhook deliveries reach this address range (repeatable; the variable takes a "
    "comma-separated list). By default only public addresses are reached, and loopback while the "
    "server listens on loopback only.",
)
webhook_max_per_organization_option = click.option(
    "--webhook-max-per-organization",
    envvar="UPROF_WEBHOOK_MAX_PER_ORGANIZATION",
    type=click.IntRange(1, 32),
    default=8,
    show_default=True,
    help="Webhook attempts one organization may have in flight at once, per dispatcher (of 32).",
)


# docs/cli.md: the spellings a boolean may have in the environment, case-insensitive.
ENVIRONMENT_BOOLEANS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


class EnvironmentBoolean(click.types.BoolParamType):
    """The type of a boolean flag: from the environment, only the spellings docs/cli.md lists (click's own
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


def open_database(url: str, sqlite_synchronous: str = "normal", *, create: bool = False) -> Database:
    """Connect and apply pending migrations, as every data command does first (exit 1 on failure).

    Only with `create` may a SQLite file that does not exist yet be made (`serve`, `db upgrade`,
    `import`); every other command refuses it and says which option names the database.
    """
    problem = missing_folder(url) if create else missing_database(url)
    if problem is not None:
        fail(problem)
    try:
        database = Database(make_engine(url, sqlite_synchronous=sqlite_synchronous))
        migrate.upgrade(database)
    except DatabaseUrlError as error:
        raise click.BadParameter(str(error), param_hint="--database-url") from None
    except migrate.NewerDatabaseError as error:
        fail(f"{error}: it was migrated by a newer uprof")
    except DatabaseBusy as error:
        fail(_unreachable(url, error))
    except SQLAlchemyError as error:
        fail(f"cannot use database {redact_url(url)}: {getattr(error, 'orig', error)}")
    return database


def _unreachable(url: str, error: DatabaseBusy) -> str:
    """What to do about a database that did not answer: an unreachable PostgreSQL surfaces as
    DatabaseBusy (see unit_of_work), as does a SQLite file another process keeps locked."""
    reason = " ".join(str(error).split())  # psycopg's reason spans lines
    if url.startswith("sqlite"):
        return f"the database {redact_url(url)} stayed locked by another process: {reason}; try again"
    return (
        f"cannot connect to the database {redact_url(url)}: {reason}; check that PostgreSQL is running there and"
        " that --database-url (or UPROF_DATABASE_URL) names it"
    )


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
