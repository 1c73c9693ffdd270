"""`uprof webhooks dispatch`: deliver webhooks without serving HTTP."""

from __future__ import annotations

from typing import Any

import click

from uprof.cli.support import (
    database_url_option,
    open_database,
    open_secret_box,
    reseal_secrets,
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


@click.group()
def webhooks() -> None:
    """Webhook delivery."""


@webhooks.command("dispatch")
@database_url_option
@webhook_timeout_option
@webhook_max_attempts_option
@webhook_allow_cidr_option
@webhook_max_per_organization_option
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
    from uprof.provider.chores import DISPATCHER_CHORES
    from uprof.webhooks.dispatcher import run_until_signalled

    settings = Settings(**options)
    box = open_secret_box(settings, create=False)
    database = open_database(settings.database_url)
    reseal_secrets(database, box)
    logs.configure("info", "text")
    try:
        asyncio.run(run_until_signalled(database, settings, box, DISPATCHER_CHORES))
    finally:
        database.engine.dispose()
