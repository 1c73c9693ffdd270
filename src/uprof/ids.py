"""Random, unguessable identifiers in the formats of the API contract (docs/reference/http.md §16)."""

import secrets
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# A random byte below 248 (= 4 × 62) maps to a base62 digit without bias; larger bytes are skipped:
# `bytes.translate` maps each byte to `_BASE62[byte % 62]` and deletes the larger ones, in C.
_UNBIASED_LIMIT = 248
_DIGIT_OF_BYTE = bytes(ord(_BASE62[byte % 62]) for byte in range(_UNBIASED_LIMIT)) + bytes(256 - _UNBIASED_LIMIT)
_SKIPPED_BYTES = bytes(range(_UNBIASED_LIMIT, 256))


def random_base62(length: int) -> str:
    """Return `length` characters drawn uniformly from [0-9A-Za-z] by a CSPRNG.

    One system call per ID (rather than one per character): IDs are minted on every request.
    """
    digits = b""
    while len(digits) < length:
        digits += secrets.token_bytes(length + 8).translate(_DIGIT_OF_BYTE, _SKIPPED_BYTES)
    return digits[:length].decode()


def new_id(prefix: str) -> str:
    """Return `prefix` followed by 24 random base62 characters (about 143 bits)."""
    return prefix + random_base62(24)


def new_link_token() -> str:
    """Return 32 random bytes as base64url without padding (43 characters)."""
    return secrets.token_urlsafe(32)
