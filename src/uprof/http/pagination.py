"""Opaque, encrypted keyset cursors for `page` / `next_page` (docs/reference/http.md §16: `page_` + base64url).

A cursor is the JSON of its fields encrypted with AES-SIV (an authenticated cipher: its 16-byte
synthetic IV is also the tag), so a client can neither forge a position nor tamper with one it was
given, and a cursor reveals nothing of the row it points at: a page ordered by name used to carry
the name itself into proxy and browser logs. AES-SIV is deterministic (one position, one cursor)
and adds no nonce, so a cursor is as long as when it was only signed. The key is derived (HKDF)
from a server secret shared by all processes and kept in the database, so cursors survive restarts
and moves between databases, and never expire.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "page_"
# Names the derived key's one use: the secret itself is stored as `cursor_signing_key`.
KEY_INFO = b"uprof list cursors: AES-256-SIV"
# Longer than any cursor encode() makes: the longest position is a name of 255 control characters,
# each escaped to 6 bytes of JSON (about 2,200 characters once encoded). Anything longer is refused
# before it is decoded.
MAX_LENGTH = 4096


class InvalidCursor(ValueError):
    """The text is not a cursor this server issued."""


def cursor_cipher(secret: bytes) -> AESSIV:
    """The cipher of cursors made under the server secret `secret`."""
    return AESSIV(HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=KEY_INFO).derive(secret))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._cipher = cursor_cipher(key)

    def encode(self, fields: dict[str, Any]) -> str:
        return PREFIX + _base64url(self._cipher.encrypt(orjson.dumps(fields), None))

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
        try:
            payload = self._cipher.decrypt(raw, None)
        except InvalidTag as error:
            raise InvalidCursor(text) from error
        try:
            fields = orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            raise InvalidCursor(text) from error
        if not isinstance(fields, dict):
            raise InvalidCursor(text)
        return fields


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
