"""Where the key that encrypts webhook signing secrets at rest comes from (docs/operations.md, "Secret key").

The `secret_key` setting (UPROF_SECRET_KEY) wins: one or more Fernet keys separated by commas, the
first of which encrypts while every one decrypts, so a key can be rotated. Without it the key file
(`secret_key_file`, ./uprof.key by default) is read; the commands that may start a new deployment
create it, with a new random key readable by its owner only, when it does not exist yet.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from uprof.config import Settings

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


def _create_if_missing(path: Path) -> bool:
    """Write a new random key to `path` unless a file is there; return whether this call wrote it."""
    if path.exists():
        return False
    try:
        # mkstemp creates the file with mode 0600. Linking it into place is atomic and never replaces
        # a file: of two processes starting at once, one creates the key and both then read it.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise SecretKeyError(f"cannot create the key file {path}: {_reason(error)}") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
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
