"""The progress bar of export and import: drawn with rich on stderr, and only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]


def wanted(enabled: bool) -> bool:
    """Whether to draw a bar: not turned off (`--no-progress`, `UPROF_PROGRESS`) and stderr is a terminal."""
    return enabled and sys.stderr.isatty()


@contextmanager
def bar(shown: bool, description: str, total: int | None, *, unit: str) -> Iterator[Advance]:
    """Yield a function that moves the bar on by an amount of `unit` ("records" or "bytes").

    Without a total (import from stdin) the bar is a counter. When not `shown`, nothing is drawn.
    """
    if not shown:
        yield _ignore
        return
    with Progress(*_columns(total, unit), console=Console(stderr=True)) as progress:
        task = progress.add_task(description, total=total)
        yield lambda amount: progress.advance(task, amount)


def _ignore(_amount: int) -> None:
    return None


def _columns(total: int | None, unit: str) -> list[str | ProgressColumn]:
    if total is None:
        return [TextColumn("{task.description}"), TextColumn("{task.completed} " + unit), TimeElapsedColumn()]
    amount = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    return [
        TextColumn("{task.description}"),
        BarColumn(),
        amount,
        TextColumn("" if unit == "bytes" else unit),
        TimeRemainingColumn(),
    ]
