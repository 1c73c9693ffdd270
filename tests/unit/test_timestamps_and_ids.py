"""Timestamps as the API shows and stores them, and identifier formats (docs/reference/http.md §16)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from uprof.ids import new_id, new_link_token, random_base62
from uprof.timestamps import format_timestamp, from_micros, to_micros, utc_now

BASE62 = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
RESPONSE_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", re.ASCII)
PLUS_ONE = timezone(timedelta(hours=1))
MINUS_FIVE_THIRTY = timezone(-timedelta(hours=5, minutes=30))

# --- format_timestamp --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 11, 26, 10, 15, 30, 123456, tzinfo=UTC), "2026-11-26T10:15:30.123456Z"),
        (datetime(2026, 11, 26, 10, 15, 30, tzinfo=UTC), "2026-11-26T10:15:30.000000Z"),
        (datetime(2026, 11, 26, 10, 15, 30, 250000, tzinfo=UTC), "2026-11-26T10:15:30.250000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "2026-01-02T03:04:05.000006Z"),
        (datetime(2026, 11, 26, 11, 15, 30, tzinfo=PLUS_ONE), "2026-11-26T10:15:30.000000Z"),
        (datetime(2026, 1, 1, 0, 30, tzinfo=PLUS_ONE), "2025-12-31T23:30:00.000000Z"),
        (datetime(2026, 2, 28, 20, 0, tzinfo=MINUS_FIVE_THIRTY), "2026-03-01T01:30:00.000000Z"),
        (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00.000000Z"),
        (datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "1969-12-31T23:59:59.999999Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000Z"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59.000000Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_format_timestamp(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text
    assert RESPONSE_TIMESTAMP.fullmatch(text)


def test_utc_now_is_aware_utc_and_formats() -> None:
    now = utc_now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    assert RESPONSE_TIMESTAMP.fullmatch(format_timestamp(now))


# --- to_micros / from_micros -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "micros"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        (datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC), 1),
        (datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), -1),
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), -1_000_000),
        (datetime(1969, 12, 31, tzinfo=UTC), -86_400_000_000),
        (datetime(1969, 7, 20, 20, 17, 40, 500000, tzinfo=UTC), -14_182_939_500_000),
        (datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC), 1_000_000_000_000_000),
        (datetime(2026, 11, 26, 10, 15, 30, 123456, tzinfo=UTC), 1_795_688_130_123_456),
        (datetime(2026, 11, 26, 11, 15, 30, 123456, tzinfo=PLUS_ONE), 1_795_688_130_123_456),
        (datetime(1, 1, 1, tzinfo=UTC), -62_135_596_800_000_000),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), 253_402_300_799_999_999),
    ],
)
def test_micros_known_values(moment: datetime, micros: int) -> None:
    assert to_micros(moment) == micros
    assert from_micros(micros) == moment


@pytest.mark.parametrize(
    "micros",
    [
        0,
        1,
        -1,
        999_999,
        -999_999,
        -1_000_001,
        -86_400_000_001,
        2**53 + 1,  # beyond what a float timestamp keeps exactly
        -(2**53) - 1,
        1_795_688_130_123_457,
        253_402_300_799_999_999,
        -62_135_596_800_000_000,
    ],
)
def test_micros_round_trip_is_exact(micros: int) -> None:
    moment = from_micros(micros)
    assert moment.utcoffset() == timedelta(0)
    assert to_micros(moment) == micros


def test_micros_preserve_order_across_the_epoch() -> None:
    moments = [datetime(1969, 12, 31, 23, 59, 59, n, tzinfo=UTC) for n in (0, 1, 999_998, 999_999)]
    moments += [datetime(1970, 1, 1, 0, 0, 0, n, tzinfo=UTC) for n in (0, 1)]
    assert [to_micros(m) for m in moments] == sorted(to_micros(m) for m in moments)
    assert [to_micros(m) for m in moments] == [-1_000_000, -999_999, -2, -1, 0, 1]


# --- identifiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["uprof_", "enac_", "enr_", "idc_", "whep_", "event_", "whdel_", "apikey_", "req_"])
def test_new_id_is_prefix_and_24_base62(prefix: str) -> None:
    identifier = new_id(prefix)
    assert re.fullmatch(re.escape(prefix) + r"[0-9A-Za-z]{24}", identifier, re.ASCII)


def test_profile_id_format() -> None:
    assert re.fullmatch(r"uprof_[0-9A-Za-z]{24}", new_id("uprof_"), re.ASCII)
    assert len(new_id("uprof_")) == 30


def test_new_ids_are_unique() -> None:
    assert len({new_id("uprof_") for _ in range(5000)}) == 5000


def test_ids_draw_on_the_whole_base62_alphabet() -> None:
    seen = set("".join(new_id("uprof_")[6:] for _ in range(2000)))
    assert seen == BASE62


@pytest.mark.parametrize("length", [0, 1, 24, 64])
def test_random_base62_length_and_alphabet(length: int) -> None:
    text = random_base62(length)
    assert len(text) == length
    assert set(text) <= BASE62


def test_link_token_is_43_characters_of_base64url() -> None:
    token = new_link_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token, re.ASCII)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_link_tokens_are_unique_and_use_the_url_safe_alphabet() -> None:
    tokens = [new_link_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    assert all(len(token) == 43 for token in tokens)
    characters = set("".join(tokens))
    assert {"-", "_"} <= characters
    assert not characters & {"+", "/", "="}
