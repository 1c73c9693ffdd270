"""Webhook signing secrets at rest: sealed with Fernet (AES-128-CBC and HMAC-SHA256) under the server's
secret key (uprof/crypto/key_file.py).

A signing secret must be recovered to sign every attempt, so it is encrypted rather than hashed.
Values stored before secrets were encrypted are the plaintext `whsec_…` itself (a Fernet token never
starts so); they are still read as they are until `reseal` replaces them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# The format of the secrets sealed here: webhook signing secrets, `whsec_` + standard base64 of
# SECRET_BYTES random bytes (webhooks/signing.py makes them). A value stored before sealing began is
# such a secret in plaintext.
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts: the key is wrong, or was lost."""


class SecretBox:
    """Seals secrets with the first of `keys` and opens what any of them sealed."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._first = Fernet(keys[0])
        self._any = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        """The value to store for `secret`."""
        return self._any.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        """The secret a stored value holds. Raises SecretUnreadable."""
        if is_plaintext(stored):
            return stored
        try:
            return self._any.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable("no configured secret key decrypts the stored secret") from None

    def is_current(self, stored: str) -> bool:
        """Whether `stored` is sealed with the first key, so `reseal` would change nothing but its nonce."""
        if is_plaintext(stored):
            return False
        try:
            self._first.decrypt(stored.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def reseal(self, stored: str) -> str:
        """`stored` sealed with the first key: plaintext is encrypted, an older key's token re-encrypted.

        Raises SecretUnreadable.
        """
        return self.seal(self.open(stored))


def is_plaintext(stored: str) -> bool:
    """Whether a stored value predates encryption at rest."""
    return stored.startswith(SECRET_PREFIX)
