"""Where the key that encrypts webhook signing secrets at rest comes from (docs/operations.md, "Secret key").

The `secret_key` setting (UPROF_SECRET_KEY) wins: one or more Fernet keys separated by commas, the
first of which encrypts while every one decrypts, so a key can be rotated. Without it the key file
(`secret_key_file`, ./uprof.key by default) is read; the commands that may start a new deployment
create it, with a new random key readable by its owner only, when it does not exist yet.

A command that may find nothing to decrypt (`export`) reads the key only when it must (BoxOnDemand);
one that seals secrets into a database it may still roll back (`import`) writes a new key file only
once its work is about to be committed (NewKeyFile), so a failed command leaves no key file behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from uprof.config import Settings
from uprof.crypto.sealing import SecretBox, is_plaintext

HOW_TO_MAKE_ONE = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class SecretKeyError(ValueError):
    """The configured key or the key file cannot be used; the message says why."""


@dataclass(frozen=True)
class SecretKeys:
    keys: tuple[str, ...]  # the first encrypts, every one decrypts
    created_file: Path | None  # the key file this load created, if it did


def load_keys(settings: Settings, *, create: bool) -> SecretKeys:
    """The keys in effect for `settings`; with `create`, a missing key file is made first.

    Raises SecretKeyError when a key is malformed or the key file is missing or unreadable.
    """
    if settings.secret_key:
        return SecretKeys(parse("the secret key", settings.secret_key), None)
    path = Path(settings.secret_key_file)
    created = create and _create_if_missing(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SecretKeyError(f"the key file {path} does not exist: give the key the server uses") from None
    except (OSError, UnicodeError) as error:
        raise SecretKeyError(f"cannot read the key file {path}: {_reason(error)}") from None
    return SecretKeys(parse(f"the key file {path}", text), path.absolute() if created else None)


def parse(source: str, text: str) -> tuple[str, ...]:
    """The keys in `text`, separated by commas or whitespace. Raises SecretKeyError naming `source`."""
    keys = tuple(key for key in re.split(r"[,\s]+", text) if key)
    if not keys:
        raise SecretKeyError(f"{source} holds no key")
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            which = f"key {position} of {source}" if len(keys) > 1 else source
            raise SecretKeyError(
                f"{which} is not a Fernet key (32 bytes in URL-safe base64; make one with {HOW_TO_MAKE_ONE})"
            ) from None
    return keys


class BoxOnDemand:
    """Opens stored signing secrets with the keys of `settings`, loaded when a sealed one is first met:
    secrets still stored in plaintext, or none at all, need no key."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._box: SecretBox | None = None

    def open(self, stored: str) -> str:
        """The secret a stored value holds. Raises SecretKeyError (no usable key) or SecretUnreadable."""
        if is_plaintext(stored):
            return stored
        return self.load().open(stored)

    def load(self) -> SecretBox:
        """The box of the configured keys, loaded now if not yet. Raises SecretKeyError."""
        if self._box is None:
            self._box = SecretBox(load_keys(self._settings, create=False).keys)
        return self._box


class NewKeyFile:
    """A new random key for a key file that does not exist yet; the file is written by `write`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key = Fernet.generate_key()
        self.written = False

    def box(self) -> SecretBox:
        return SecretBox([self.key.decode("ascii")])

    def write(self) -> None:
        """Write the key file (mode 0600). Raises SecretKeyError when it cannot be written, or when a
        key file appeared there meanwhile (it holds another key: what was sealed with this one must
        not be kept)."""
        if not _write_new(self.path, self.key):
            raise SecretKeyError(f"the key file {self.path} was created by another process meanwhile")
        self.written = True

    def remove(self) -> None:
        """Remove the key file again if `write` made it (the work it was for was not committed)."""
        if self.written:
            self.path.unlink(missing_ok=True)
            self.written = False


def _create_if_missing(path: Path) -> bool:
    """Write a new random key to `path` unless a file is there; return whether this call wrote it."""
    return not path.exists() and _write_new(path, Fernet.generate_key())


def _write_new(path: Path, key: bytes) -> bool:
    """Write `key` to a new file at `path`; return False, writing nothing, if a file is already there."""
    try:
        # mkstemp creates the file with mode 0600. Linking it into place is atomic and never replaces
        # a file: of two processes starting at once, one creates the key and both then read it.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise SecretKeyError(f"cannot create the key file {path}: {_reason(error)}") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(key + b"\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as error:
        raise SecretKeyError(f"cannot create the key file {path}: {_reason(error)}") from None
    finally:
        os.unlink(temporary)
    return True


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
