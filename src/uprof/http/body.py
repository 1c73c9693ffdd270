"""Reading a request body into a JSON object, with every check of docs/reference/http.md §9–10."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from uprof.http.errors import InvalidRequest, RequestTooLarge, member_path, quote

MAX_DEPTH = 32
_FORBIDDEN_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"request body exceeds the {limit}-byte limit")


def check_declared_length(content_length: str | None, limit: int) -> None:
    """Refuse a declared Content-Length over the limit before reading anything (docs/reference/http.md §1 check 3)."""
    declared = (content_length or "").strip()
    if not (declared.isascii() and declared.isdigit()):
        return  # absent or not a number: the body is measured while it is read
    digits = declared.lstrip("0")
    # Lengths first: int() refuses digit strings over 4,300 characters.
    if len(digits) > len(str(limit)) or int(digits or "0") > limit:
        raise too_large(limit)


async def chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body's chunks as the server delivers them; ClientDisconnect if the client goes away first."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] == "http.request":
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Collect the body, refusing it as soon as it passes `limit` bytes."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def check_encoding(content_encoding: str | None) -> None:
    if content_encoding is not None and content_encoding.strip().lower() not in ("", "identity"):
        raise InvalidRequest(
            f"content-encoding: '{quote(content_encoding)}' is not supported",
            error_code="request_body_encoding_unsupported",
        )


def check_content_type(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise InvalidRequest("content-type: must be application/json")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise InvalidRequest("content-type: must be application/json")


def parse_object(raw: bytes) -> dict[str, Any]:
    """Decode a UTF-8 JSON object; an empty body (no bytes at all) is `{}`, while whitespace alone is
    invalid JSON like any other text that holds no value. Raises InvalidRequest naming the first problem."""
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("body: not valid UTF-8") from None
    try:
        value = json.loads(
            text, object_pairs_hook=_object_from_pairs, parse_constant=_refuse_constant, parse_int=_integer
        )
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"body: invalid JSON at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise InvalidRequest("body: nesting too deep") from None
    except _NonStandardConstant:
        raise _syntax_error(raw) from None
    if not isinstance(value, dict):
        raise InvalidRequest("body: must be a JSON object")
    _check_tree(value, "", 1)
    return value


class _ObjectWithDuplicate(dict[str, Any]):
    duplicate_key: str


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    marked = _ObjectWithDuplicate(result)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.duplicate_key = key
            break
        seen.add(key)
    return marked


def _syntax_error(raw: bytes) -> InvalidRequest:
    """Locate the syntax error with orjson, which refuses NaN and Infinity as RFC 8259 does."""
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return InvalidRequest(f"body: invalid JSON at line {error.lineno}, column {error.colno}")
    return InvalidRequest("body: invalid JSON")


def _integer(literal: str) -> int | float:
    """An integer literal; one longer than Python converts (4,300 digits) becomes an infinite float,
    as a huge exponent does, so it meets the same type checks as any other number."""
    try:
        return int(literal)
    except ValueError:
        return float(literal)


class _NonStandardConstant(ValueError):
    """NaN, Infinity or -Infinity: Python's json accepts them, JSON does not."""


def _refuse_constant(name: str) -> None:
    raise _NonStandardConstant(name)


def _check_tree(value: Any, path: str, depth: int) -> None:
    """Depth, duplicate keys and forbidden characters, reported for the first offender in document order."""
    if isinstance(value, dict | list) and depth > MAX_DEPTH:
        raise InvalidRequest("body: nesting too deep")
    if isinstance(value, _ObjectWithDuplicate):
        raise InvalidRequest(f"{member_path(path, value.duplicate_key)}: duplicate key")
    if isinstance(value, dict):
        for key, item in value.items():
            member = member_path(path, key)
            if _FORBIDDEN_CHARACTER.search(key):
                raise InvalidRequest(f"{path or 'body'}: contains a character that is not allowed")
            _check_tree(item, member, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_tree(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str) and _FORBIDDEN_CHARACTER.search(value):
        raise InvalidRequest(f"{path}: contains a character that is not allowed")
