"""Random, unguessable identifiers in the formats of the API contract (http.md §16)."""

import secrets
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def random_base62(length: int) -> str:
    """Return `length` characters drawn uniformly from [0-9A-Za-z] by a CSPRNG."""
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def new_id(prefix: str) -> str:
    """Return `prefix` followed by 24 random base62 characters (about 143 bits)."""
    return prefix + random_base62(24)


def new_link_token() -> str:
    """Return 32 random bytes as base64url without padding (43 characters)."""
    return secrets.token_urlsafe(32)
