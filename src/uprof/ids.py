"""Random, unguessable identifiers in the formats of the API contract (docs/reference/http.md §16)."""

import os
import secrets
import string
import threading

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# A random byte below 248 (= 4 × 62) maps to a base62 digit without bias; larger bytes are skipped.
_UNBIASED_LIMIT = 248


class _RandomBytes:
    """The operating system's CSPRNG, read 4 KiB at a time: IDs are minted on every request (a request
    ID at least), and one `getrandom` call per ID was most of an ID's cost. A lock hands each byte
    to one caller only (database threads mint IDs too); a forked child starts with an empty pool,
    so it never repeats its parent's bytes."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._pool = b""
        self._used = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._used + count > len(self._pool):
                self._pool, self._used = os.urandom(max(self._size, count)), 0
            start = self._used
            self._used += count
            return self._pool[start : self._used]


_random_bytes = _RandomBytes()


# Byte b below the limit becomes base62 digit b % 62; bytes.translate drops the others.
_TO_BASE62 = bytes(ord(_BASE62[byte % 62]) for byte in range(256))
_BIASED = bytes(range(_UNBIASED_LIMIT, 256))


def random_base62(length: int) -> str:
    """Return `length` characters drawn uniformly from [0-9A-Za-z] by a CSPRNG."""
    digits = b""
    while len(digits) < length:
        digits += _random_bytes.take(length + 8).translate(_TO_BASE62, _BIASED)
    return digits[:length].decode("ascii")


def new_id(prefix: str) -> str:
    """Return `prefix` followed by 24 random base62 characters (about 143 bits)."""
    return prefix + random_base62(24)


def new_link_token() -> str:
    """Return 32 random bytes as base64url without padding (43 characters)."""
    return secrets.token_urlsafe(32)
