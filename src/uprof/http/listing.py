"""Keyset pages behind cursors: where a page starts, and the cursor of the next one.

A cursor binds the list it was made for (its name or sort column) and the order, so a cursor
from one list or order is refused by another; its position is the sort key and the ID of the
last row shown, so a page costs the same at any depth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from uprof.http.errors import InvalidRequest
from uprof.http.pagination import CursorCodec, InvalidCursor
from uprof.timestamps import to_micros

RowT = TypeVar("RowT")  # a SQLAlchemy Row or a typed record: either has its columns as attributes


@dataclass(frozen=True)
class Listing:
    """One page of a list: its name (bound into cursors), `order`, the cursor given, the page size."""

    name: str
    order: str
    page: str | None
    limit: int


def position(listing: Listing, cursors: CursorCodec) -> tuple[Any, str] | None:
    """The (sort key, ID) after which the page starts, or None for the first page.

    Raises InvalidRequest naming `page` for a cursor this server did not make, or made for another
    list or order."""
    if listing.page is None:
        return None
    try:
        fields = cursors.decode(listing.page)
        key, row_id, order, name = fields["k"], str(fields["i"]), fields["o"], fields["b"]
    except (InvalidCursor, KeyError, ValueError, TypeError):
        raise InvalidRequest("page: not a valid cursor") from None
    if order != listing.order or name != listing.name:
        raise InvalidRequest("page: cursor was issued for a different order or order_by")
    return (key, row_id)


def next_cursor(listing: Listing, cursors: CursorCodec, key: Any, row_id: str) -> str:
    """The cursor of the page after the row at (`key`, `row_id`)."""
    return cursors.encode({"o": listing.order, "b": listing.name, "k": key, "i": row_id})


def page_of(
    listing: Listing,
    cursors: CursorCodec,
    fetch: Callable[[tuple[int, str] | None, int], list[RowT]],
    key: str,
) -> tuple[list[RowT], str | None]:
    """One page of rows ordered by the timestamp column `key` and then ID, and the next page's cursor."""
    rows = fetch(position(listing, cursors), listing.limit + 1)
    more = len(rows) > listing.limit
    rows = rows[: listing.limit]
    cursor = None
    if more:
        stamp, row_id = attrgetter(key, "id")(rows[-1])
        cursor = next_cursor(listing, cursors, to_micros(stamp), row_id)
    return rows, cursor
