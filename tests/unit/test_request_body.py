"""Request body checks of docs/reference/http.md §9–10 (and the choices recorded in docs/api.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from uprof.http.body import (
    check_content_type,
    check_declared_length,
    check_encoding,
    parse_object,
    read_limited,
)
from uprof.http.errors import ApiError, InvalidRequest, RequestTooLarge

MIB = 1_048_576


def refusal(raw: bytes) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as raised:
        parse_object(raw)
    assert raised.value.status == 400
    assert raised.value.error_type == "invalid_request_error"
    assert raised.value.error_code is None
    return raised.value


def nested_objects(depth: int) -> bytes:
    """`depth` objects, each the only member of its parent: depth 1 is `{}`."""
    return ('{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)).encode()


def arrays_in_object(depth: int) -> bytes:
    """One object holding `depth - 1` nested arrays: depth 2 is `{"a":[]}`."""
    return ('{"a":' + "[" * (depth - 1) + "]" * (depth - 1) + "}").encode()


# --- parse_object: the happy paths ---------------------------------------------------------------


def test_empty_body_is_an_empty_object() -> None:
    assert parse_object(b"") == {}


@pytest.mark.parametrize("raw", [b" ", b"\r", b"\r\n\t "])
def test_whitespace_alone_is_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidRequest, match=r"^body: invalid JSON at line \d+, column \d+$"):
        parse_object(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{}", {}),
        (b' \n{"a": 1}\n ', {"a": 1}),
        (b'{"name": "Ada", "metadata": {"plan": "pro"}}', {"name": "Ada", "metadata": {"plan": "pro"}}),
        (b'{"a": [1, 2.5, true, false, null, "x", {}, []]}', {"a": [1, 2.5, True, False, None, "x", {}, []]}),
        ('{"名前": "😀 é"}'.encode(), {"名前": "😀 é"}),
        (b'{"a": "A", "A": "a"}', {"a": "A", "A": "a"}),
        (b'{"a": {"x": 1}, "b": {"x": 1}}', {"a": {"x": 1}, "b": {"x": 1}}),
    ],
)
def test_objects_are_returned(raw: bytes, expected: dict[str, Any]) -> None:
    assert parse_object(raw) == expected


def test_key_order_is_kept() -> None:
    assert list(parse_object(b'{"z": 1, "a": 2, "m": 3}')) == ["z", "a", "m"]


# --- parse_object: encoding and syntax -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\xff"}',
        b'{"a": "\xc3\x28"}',  # invalid continuation byte
        b'{"a": "\xc0\xaf"}',  # overlong encoding of "/"
        b'{"a": "\xed\xa0\x80"}',  # a UTF-8 encoded surrogate
        b'{"a": "\xe2\x82"}',  # truncated sequence
        b'{"a": "\xf4\x90\x80\x80"}',  # beyond U+10FFFF
        b"\xfe\xff\x00{\x00}",  # UTF-16
    ],
)
def test_invalid_utf8_is_refused(raw: bytes) -> None:
    assert refusal(raw).message == "body: not valid UTF-8"


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        (b"{", 1, 2),
        (b'{"a": }', 1, 7),
        (b'{"a" 1}', 1, 6),
        (b"{'a': 1}", 1, 2),
        (b'{"a": 1} x', 1, 10),
        (b'{"a": 1}{}', 1, 9),
        (b'{"a": 01}', 1, 8),
        (b'{\n  "a": 1,\n}', 3, 1),
        (b'\n\n  {"a": tru}', 3, 9),
        (b'{"a": "\x01"}', 1, 8),  # raw control character inside a string
        (b'{"a": "x\ny"}', 1, 9),
        (b'{"a": "\x00"}', 1, 8),
        (b'{"a": "open}', 1, 7),
        (b'{"a": "\\x"}', 1, 8),
        (b"\xef\xbb\xbf{}", 1, 1),  # a byte order mark
        ('{"é": }'.encode(), 1, 7),  # columns count characters, not bytes
        (b"x", 1, 1),
    ],
)
def test_malformed_json_names_line_and_column(raw: bytes, line: int, column: int) -> None:
    assert refusal(raw).message == f"body: invalid JSON at line {line}, column {column}"


@pytest.mark.parametrize("raw", [b"[]", b'[{"a": 1}]', b"1", b"-0.5", b'"text"', b"null", b"true", b"false", b' "{}" '])
def test_a_body_that_is_not_an_object_is_refused(raw: bytes) -> None:
    assert refusal(raw).message == "body: must be a JSON object"


# --- parse_object: duplicate keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"a": 1, "a": 2}', "a"),
        (b'{"a": 1, "a": 1}', "a"),
        (b'{"a": 1, "\\u0061": 2}', "a"),
        (b'{"b": 1, "a": 2, "a": 3, "b": 4}', "a"),
        (b'{"metadata": {"a": "1", "a": "2"}}', "metadata.a"),
        (b'{"external_user_details": {"country": "DE", "country": "FR"}}', "external_user_details.country"),
        (b'{"a": [0, {"b": 1, "b": 2}]}', "a[1].b"),
        (b'{"a": [[{"x": {"c": 1, "c": 1}}]]}', "a[0][0].x.c"),
        (b'{"x": {}, "y": [{}, {}, {"k": null, "k": null}]}', "y[2].k"),
    ],
)
def test_duplicate_keys_are_refused_with_their_path(raw: bytes, path: str) -> None:
    assert refusal(raw).message == f"{path}: duplicate key"


# --- parse_object: depth -----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [nested_objects, arrays_in_object])
def test_depth_32_is_accepted(make: Any) -> None:
    assert isinstance(parse_object(make(32)), dict)


@pytest.mark.parametrize("make", [nested_objects, arrays_in_object])
@pytest.mark.parametrize("depth", [33, 34, 100, 2_000, 100_000])
def test_deeper_than_32_is_refused(make: Any, depth: int) -> None:
    assert refusal(make(depth)).message == "body: nesting too deep"


def test_depth_counts_the_deepest_branch_only() -> None:
    # 1 + 31 = 32 levels under "a"; 1 + 1 (the array) + 30 = 32 under "b".
    wide = b'{"a": ' + nested_objects(31) + b', "b": [' + b", ".join([nested_objects(30)] * 50) + b"]}"
    assert isinstance(parse_object(wide), dict)


def test_scalars_do_not_add_depth() -> None:
    raw = nested_objects(31).replace(b"{}", b'{"leaf": "x"}')
    assert isinstance(parse_object(raw), dict)


# --- parse_object: characters that are not allowed ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"name": "a\\u0000b"}', "name"),
        (b'{"name": "\\u0000"}', "name"),
        (b'{"metadata": {"k": "\\ud800"}}', "metadata.k"),
        (b'{"a": ["ok", "\\udfff"]}', "a[1]"),
        (b'{"a": "\\ud800x"}', "a"),  # high surrogate followed by an ordinary character
        (b'{"a": "x\\ud83d"}', "a"),  # high surrogate at the end
        (b'{"a": "\\ude00\\ud83d"}', "a"),  # a pair in the wrong order
        (b'{"a": "\\ud83d\\ud83d"}', "a"),  # two high surrogates
        (b'{"a": [{"b": {"c": "\\udc00"}}]}', "a[0].b.c"),
    ],
)
def test_forbidden_characters_in_values_are_refused(raw: bytes, path: str) -> None:
    assert refusal(raw).message == f"{path}: contains a character that is not allowed"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"a\\u0000": 1}', "body"),
        (b'{"\\ud800": 1}', "body"),
        (b'{"metadata": {"\\udc00": "v"}}', "metadata"),
        (b'{"a": [{"\\u0000": 1}]}', "a[0]"),
    ],
)
def test_forbidden_characters_in_keys_name_the_holding_object(raw: bytes, path: str) -> None:
    assert refusal(raw).message == f"{path}: contains a character that is not allowed"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": "\\ud83d\\ude00"}', {"a": "😀"}),
        (b'{"\\ud83d\\ude00": "x"}', {"😀": "x"}),
        ('{"a": "😀"}'.encode(), {"a": "😀"}),
        (b'{"a": "\\u0001\\u001f\\uffff\\ufffd"}', {"a": "\x01\x1f\uffff\ufffd"}),
        (b'{"a": "\\udbff\\udfff"}', {"a": "\U0010ffff"}),
    ],
)
def test_valid_surrogate_pairs_and_other_characters_are_allowed(raw: bytes, expected: dict[str, Any]) -> None:
    assert parse_object(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": "\\u0000", "b": {"c": 1, "c": 2}}', "a: contains a character that is not allowed"),
        (b'{"b": {"c": 1, "c": 2}, "a": "\\u0000"}', "b.c: duplicate key"),
        (b'{"a": ["\\ud800"], "b": ' + nested_objects(40) + b"}", "a[0]: contains a character that is not allowed"),
    ],
)
def test_the_first_problem_in_document_order_is_reported(raw: bytes, message: str) -> None:
    assert refusal(raw).message == message


# --- parse_object: numbers ---------------------------------------------------------------------------


def test_large_integers_are_kept_exactly() -> None:
    assert parse_object(b'{"n": ' + str(10**100 + 1).encode() + b"}") == {"n": 10**100 + 1}
    assert parse_object(b'{"n": -' + b"9" * 4300 + b"}") == {"n": -int("9" * 4300)}


@pytest.mark.parametrize("digits", [4301, 5_000, 100_000])
@pytest.mark.parametrize("sign", [b"", b"-"])
def test_integers_beyond_4300_digits_read_as_infinite_numbers(digits: int, sign: bytes) -> None:
    # Valid JSON: the field's own type check then judges it, as it judges 1e999.
    assert parse_object(b'{"n": ' + sign + b"1" * digits + b"}") == {"n": float(sign.decode() + "inf")}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("template", ['{{"a": {}}}', '{{"a": [1, {}]}}', '{{"a": {{"b": {}}}}}'])
def test_nan_and_infinity_are_refused_as_invalid_json(constant: str, template: str) -> None:
    body = template.format(constant)
    column = body.index(constant) + 1 + (constant[0] == "-")  # at the constant (after a sign)
    assert refusal(body.encode()).message == f"body: invalid JSON at line 1, column {column}"


def test_nan_and_infinity_inside_strings_are_ordinary_text() -> None:
    assert parse_object(b'{"a": "NaN", "b": "-Infinity"}') == {"a": "NaN", "b": "-Infinity"}


# --- check_content_type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=utf-8",
        "application/json; charset=UTF-8",
        'application/json; charset="utf-8"',
        "Application/JSON",
        " application/json ",
    ],
)
def test_json_content_type_is_accepted(content_type: str) -> None:
    check_content_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json-patch+json",
        "application/vnd.api+json",
        "application/json; charset=latin-1",
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/json; charset=",
        "application/json; charset=utf-8; charset=utf-16",
    ],
)
def test_other_content_types_are_refused(content_type: str | None) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_content_type(content_type)
    assert raised.value.message == "content-type: must be application/json"
    assert raised.value.status == 400
    assert raised.value.error_code is None


# --- check_encoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("content_encoding", [None, "", "identity", "Identity", " identity "])
def test_identity_encoding_is_accepted(content_encoding: str | None) -> None:
    check_encoding(content_encoding)


@pytest.mark.parametrize("content_encoding", ["gzip", "GZIP", "br", "deflate", "zstd", "gzip, identity", "x"])
def test_other_encodings_are_refused(content_encoding: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_encoding(content_encoding)
    error = raised.value
    assert error.status == 400
    assert error.error_type == "invalid_request_error"
    assert error.message == f"content-encoding: '{content_encoding}' is not supported"
    assert error.error_code == "request_body_encoding_unsupported"


# --- check_declared_length and read_limited ----------------------------------------------------------


@pytest.mark.parametrize(
    "content_length", [None, "", "0", "1", "1048576", "001048576", " 1048576 ", "abc", "-5", "1e9", "²", "١٢٣"]
)
def test_declared_length_within_the_limit_or_unusable_passes(content_length: str | None) -> None:
    check_declared_length(content_length, MIB)


@pytest.mark.parametrize("content_length", ["1048577", " 1048577", "99999999999999999999", "9" * 5000])
def test_declared_length_over_the_limit_is_refused(content_length: str) -> None:
    with pytest.raises(RequestTooLarge) as raised:
        check_declared_length(content_length, MIB)
    error = raised.value
    assert error.status == 413
    assert error.error_type == "request_too_large"
    assert error.message == "request body exceeds the 1048576-byte limit"
    assert error.error_code is None


@pytest.mark.parametrize(("limit", "length", "refused"), [(10, "10", False), (10, "11", True), (0, "1", True)])
def test_declared_length_limit_is_inclusive(limit: int, length: str, refused: bool) -> None:
    if refused:
        with pytest.raises(RequestTooLarge, match=f"^request body exceeds the {limit}-byte limit$"):
            check_declared_length(length, limit)
    else:
        check_declared_length(length, limit)


async def chunks_of(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def test_read_limited_collects_up_to_the_limit() -> None:
    assert asyncio.run(read_limited(chunks_of(b"ab", b"", b"cd"), 4)) == b"abcd"


def test_read_limited_refuses_once_the_limit_is_passed() -> None:
    with pytest.raises(RequestTooLarge, match="^request body exceeds the 4-byte limit$"):
        asyncio.run(read_limited(chunks_of(b"abc", b"de"), 4))


def test_body_errors_are_api_errors() -> None:
    assert issubclass(InvalidRequest, ApiError)
    assert issubclass(RequestTooLarge, ApiError)
