"""Where an option's value came from, so that messages name what the operator actually set: the
flag, its UPROF_* environment variable, or the default."""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource


def _option(context: click.Context, name: str) -> click.Option | None:
    return next((p for p in context.command.params if p.name == name and isinstance(p, click.Option)), None)


def _variable(option: click.Option) -> str | None:
    return option.envvar if isinstance(option.envvar, str) else None


def given_as(name: str, value: object) -> str:
    """`--port 8080`, `UPROF_PORT=8080` or `the default --port 8080`: the value of parameter `name` of
    the running command as the operator gave it."""
    context = click.get_current_context(silent=True)
    option = _option(context, name) if context is not None else None
    if context is None or option is None:
        return str(value)
    flag = option.opts[0]
    source = context.get_parameter_source(name)
    variable = _variable(option)
    if source is ParameterSource.ENVIRONMENT and variable:
        return f"{variable}={value}"
    if source is ParameterSource.COMMANDLINE:
        return f"{flag} {value}"
    return f"the default {flag} {value}"


def name_the_variable(error: click.BadParameter) -> None:
    """Make `error` name the environment variable when the bad value came from one (click names the
    option whatever the source, so `UPROF_PORT=foo` would read as a bad `--port`)."""
    option, context = error.param, error.ctx
    if error.param_hint is not None or not isinstance(option, click.Option) or context is None:
        return
    variable = _variable(option)
    if variable and option.name and context.get_parameter_source(option.name) is ParameterSource.ENVIRONMENT:
        error.param_hint = f"{variable} (the environment variable of {option.opts[0]})"


class Group(click.Group):
    """The `uprof` group: an invalid option value names the environment variable it came from."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.BadParameter as error:
            name_the_variable(error)
            raise
