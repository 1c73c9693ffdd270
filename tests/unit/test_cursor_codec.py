"""The list cursor codec (docs/reference/http.md §16, docs/reference/profiles.md §4.4): round trips, and refuses
anything it did not issue.

hypothesis is not installed in this environment, so the properties below are checked over fixed,
parametrized samples and exhaustive single-byte mutations instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any, cast

import orjson
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from uprof.http.pagination import MAX_LENGTH, CursorCodec, InvalidCursor

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
codec = CursorCodec(KEY)

SAMPLES: list[dict[str, Any]] = [
    {"o": "desc", "b": "created_at", "k": 1_795_000_000_123_456, "i": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm"},
    {"o": "asc", "b": "created_at", "k": -1, "i": "uprof_000000000000000000000000"},
    {"o": "asc", "b": "name", "k": "ada example", "i": "uprof_9bTn3QwE5rYu7IoP1aSd2FgH"},
    {"o": "desc", "b": "name", "k": None, "i": "uprof_9bTn3QwE5rYu7IoP1aSd2FgH"},
    {"o": "asc", "b": "name", "k": 'quote " backslash \\ newline \n tab \t', "i": "uprof_x"},
    {"o": "asc", "b": "name", "k": "Ünïcödé 名前 😀 \u200b", "i": "uprof_x"},
    {"o": "asc", "b": "name", "k": "😀" * 255, "i": "uprof_" + "z" * 24},
    # The longest real sort key: every control character becomes six bytes of JSON (\u0001).
    {"o": "desc", "b": "name", "k": "\u0001" * 255, "i": "uprof_" + "z" * 24},
    {},
    {"nested": {"list": [1, 2.5, True, False, None]}},
]
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def forge(key: bytes, payload: bytes) -> str:
    """A cursor over arbitrary payload bytes, encrypted as the codec encrypts (pinned by the test below)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=b"uprof list cursors: AES-256-SIV").derive(key)
    return "page_" + base64.urlsafe_b64encode(AESSIV(derived).encrypt(payload, None)).rstrip(b"=").decode()


def raw_bytes(cursor: str) -> bytes:
    body = cursor.removeprefix("page_")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def assert_refused(text: str, with_codec: CursorCodec = codec) -> None:
    with pytest.raises(InvalidCursor):
        with_codec.decode(text)


@pytest.mark.parametrize("fields", SAMPLES)
def test_round_trip(fields: dict[str, Any]) -> None:
    assert codec.decode(codec.encode(fields)) == fields


@pytest.mark.parametrize("fields", SAMPLES)
def test_cursor_is_page_prefix_and_unpadded_base64url(fields: dict[str, Any]) -> None:
    cursor = codec.encode(fields)
    assert cursor.startswith("page_")
    assert BASE64URL.fullmatch(cursor.removeprefix("page_"))


@pytest.mark.parametrize("fields", SAMPLES[6:8])
def test_longest_real_cursors_fit_the_accepted_length(fields: dict[str, Any]) -> None:
    cursor = codec.encode(fields)
    assert len(cursor) <= MAX_LENGTH
    assert codec.decode(cursor) == fields


def test_forge_helper_matches_the_codec() -> None:
    """Keeps the helper honest, so the tests built on it test the codec's real format."""
    assert forge(KEY, orjson.dumps(SAMPLES[0])) == codec.encode(SAMPLES[0])


def test_invalid_cursor_is_a_value_error() -> None:
    assert issubclass(InvalidCursor, ValueError)


@pytest.mark.parametrize("fields", SAMPLES[:3])
@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_flipping_any_byte_of_tag_or_payload_is_refused(fields: dict[str, Any], mask: int) -> None:
    raw = raw_bytes(codec.encode(fields))
    for index in range(len(raw)):
        tampered = bytearray(raw)
        tampered[index] ^= mask
        text = "page_" + base64.urlsafe_b64encode(bytes(tampered)).rstrip(b"=").decode()
        assert_refused(text)


@pytest.mark.parametrize("fields", SAMPLES[:3])
def test_every_truncation_is_refused(fields: dict[str, Any]) -> None:
    cursor = codec.encode(fields)
    for length in range(len(cursor)):
        assert_refused(cursor[:length])


@pytest.mark.parametrize("suffix", ["A", "AA", "AAA", "AAAA", "-", "_", "=", "==", "Zm9v"])
@pytest.mark.parametrize("fields", SAMPLES[:3])
def test_extended_text_is_refused(fields: dict[str, Any], suffix: str) -> None:
    assert_refused(codec.encode(fields) + suffix)


@pytest.mark.parametrize("extra", [b"\x00", b" ", b"}", b"\x00" * 16])
def test_extended_bytes_are_refused(extra: bytes) -> None:
    raw = raw_bytes(codec.encode(SAMPLES[0])) + extra
    assert_refused("page_" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c.removeprefix("page_"),
        lambda c: "Page_" + c.removeprefix("page_"),
        lambda c: "PAGE_" + c.removeprefix("page_"),
        lambda c: "page-" + c.removeprefix("page_"),
        lambda c: "page" + c.removeprefix("page_"),
        lambda c: "pages_" + c.removeprefix("page_"),
        lambda c: "cursor_" + c.removeprefix("page_"),
        lambda c: " " + c,
        lambda c: "page_page_" + c.removeprefix("page_"),
    ],
    ids=["none", "Page_", "PAGE_", "page-", "page", "pages_", "cursor_", "leading space", "doubled"],
)
def test_wrong_prefix_is_refused(make: Any) -> None:
    assert_refused(make(codec.encode(SAMPLES[0])))


@pytest.mark.parametrize(
    "text",
    ["", "page_", "page_!", "page_====", "page_A", "page_AB", "page_*&^%$#", "page_é", "page_😀", "page_\x00"],
)
def test_not_a_cursor_is_refused(text: str) -> None:
    assert_refused(text)


@pytest.mark.parametrize("character", ["!", ".", "=", " ", "\n", "+", "/", "é", "\x00", "%3D"])
def test_a_character_outside_base64url_anywhere_is_refused(character: str) -> None:
    """The decoder would skip these characters; the codec must not accept the altered spelling."""
    cursor = codec.encode(SAMPLES[0])
    for position in range(len("page_"), len(cursor) + 1, 7):
        assert_refused(cursor[:position] + character + cursor[position:])


def cursor_where(condition: Any) -> str:
    """A real cursor whose base64 text satisfies `condition` (found by varying the payload length)."""
    return next(c for c in (codec.encode({"k": "x" * n}) for n in range(12)) if condition(c.removeprefix("page_")))


def test_standard_base64_alphabet_spelling_is_refused() -> None:
    cursor = next(c for c in (codec.encode({"n": n}) for n in range(1000)) if "-" in c.removeprefix("page_"))
    assert_refused(cursor.replace("-", "+"))
    cursor = next(c for c in (codec.encode({"n": n}) for n in range(1000)) if "_" in c.removeprefix("page_"))
    assert_refused(cursor.replace("_", "/"))


@pytest.mark.parametrize("remainder", [2, 3])
def test_padded_spelling_is_refused(remainder: int) -> None:
    cursor = cursor_where(lambda body: len(body) % 4 == remainder)
    assert_refused(cursor + "=" * (4 - remainder))


@pytest.mark.parametrize(("remainder", "unused_bits"), [(2, 4), (3, 2)])
def test_unused_low_bits_in_the_last_character_are_refused(remainder: int, unused_bits: int) -> None:
    """Such spellings decode to the very same bytes; a cursor still has exactly one spelling."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    cursor = cursor_where(lambda body: len(body) % 4 == remainder)
    last = alphabet.index(cursor[-1])
    for low in range(1, 2**unused_bits):
        altered = cursor[:-1] + alphabet[last ^ low]
        assert raw_bytes(altered) == raw_bytes(cursor)
        assert_refused(altered)


@pytest.mark.parametrize("length", [MAX_LENGTH + 1, 2 * MAX_LENGTH, 1_000_000])
def test_huge_input_is_refused(length: int) -> None:
    assert_refused("page_" + "A" * (length - len("page_")))


def test_huge_input_signed_with_the_key_is_still_refused() -> None:
    cursor = codec.encode({"k": "x" * MAX_LENGTH})
    assert_refused(cursor)


@pytest.mark.parametrize("fields", SAMPLES[:3])
def test_cursor_signed_with_another_key_is_refused(fields: dict[str, Any]) -> None:
    assert_refused(CursorCodec(OTHER_KEY).encode(fields))


def test_key_change_invalidates_and_same_key_accepts() -> None:
    cursor = codec.encode(SAMPLES[0])
    assert CursorCodec(bytes(KEY)).decode(cursor) == SAMPLES[0]
    assert_refused(cursor, CursorCodec(KEY + b"x"))


@pytest.mark.parametrize("value", [[], [1, 2], "text", 1, 1.5, True, None])
def test_signed_json_that_is_not_an_object_is_refused(value: Any) -> None:
    assert_refused(codec.encode(cast(dict[str, Any], value)))


@pytest.mark.parametrize("payload", [b"{", b"not json", b"\xff\xfe", b'{"a": 1} x', b"NaN"])
def test_signed_bytes_that_are_not_json_are_refused(payload: bytes) -> None:
    assert_refused(forge(KEY, payload))


def test_payload_without_tag_is_refused() -> None:
    payload = orjson.dumps(SAMPLES[0])
    assert_refused("page_" + base64.urlsafe_b64encode(payload).rstrip(b"=").decode())


def test_tag_from_a_full_sha256_is_refused() -> None:
    payload = orjson.dumps(SAMPLES[0])
    tag = hmac.new(KEY, payload, hashlib.sha256).digest()
    assert_refused("page_" + base64.urlsafe_b64encode(tag + payload).rstrip(b"=").decode())


def test_distinct_fields_give_distinct_cursors() -> None:
    cursors = {codec.encode({"o": "asc", "b": "created_at", "k": n, "i": "uprof_x"}) for n in range(200)}
    assert len(cursors) == 200


@pytest.mark.parametrize("fields", SAMPLES[:3])
def test_a_cursor_reveals_nothing_of_its_fields(fields: dict[str, Any]) -> None:
    """Neither the sort key (a name is personal data) nor the ID appears in the cursor's bytes."""
    raw = raw_bytes(codec.encode(fields))
    for value in fields.values():
        assert orjson.dumps(value) not in raw
        assert str(value).encode() not in raw
    assert b'"o"' not in raw and b"uprof_" not in raw
