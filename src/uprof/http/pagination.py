"""Opaque, signed keyset cursors for `page` / `next_page` (docs/reference/http.md §16: `page_` + base64url).

A cursor is the JSON of its fields plus an HMAC-SHA256 tag, so a client can neither forge a
position nor tamper with one it was given. The signing key is a server secret shared by all
processes and kept in the database, so cursors survive restarts and never expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

PREFIX = "page_"
_TAG_BYTES = 16
# Longer than any cursor encode() makes: the longest position is a name of 255 control characters,
# each escaped to 6 bytes of JSON (about 2,200 characters once encoded). Anything longer is refused
# before it is decoded.
MAX_LENGTH = 4096


class InvalidCursor(ValueError):
    """The text is not a cursor this server issued."""


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, fields: dict[str, Any]) -> str:
        payload = orjson.dumps(fields)
        tag = hmac.new(self._key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
        return PREFIX + _base64url(tag + payload)

    def decode(self, text: str) -> dict[str, Any]:
        """Return the fields of a cursor made by encode(); raise InvalidCursor for anything else."""
        if not text.startswith(PREFIX) or len(text) > MAX_LENGTH:
            raise InvalidCursor(text)
        body = text[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError) as error:
            raise InvalidCursor(text) from error
        # The decoder skips stray characters and ignores padding and unused low bits; a cursor has one spelling.
        if _base64url(raw) != body:
            raise InvalidCursor(text)
        tag, payload = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
        if not hmac.compare_digest(tag, expected):
            raise InvalidCursor(text)
        try:
            fields = orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            raise InvalidCursor(text) from error
        if not isinstance(fields, dict):
            raise InvalidCursor(text)
        return fields


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
