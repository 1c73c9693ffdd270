"""The `uprof` command: serve, keys, db, export, import, webhooks. Thin: each command parses its
options and calls the same services as the API; one module per command or group, what they share
in `support`."""

from __future__ import annotations

import click

from uprof import __version__
from uprof.cli.database import db
from uprof.cli.keys import keys
from uprof.cli.portability import export_command, import_command
from uprof.cli.server import serve
from uprof.cli.sources import Group
from uprof.cli.webhooks import webhooks


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="uprof")
def main() -> None:
    """uprof: a self-hostable User Profiles API server for the official Anthropic SDKs."""


for command in (serve, keys, db, export_command, import_command, webhooks):
    main.add_command(command)
