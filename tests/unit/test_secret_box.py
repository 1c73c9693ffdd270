"""Webhook signing secrets at rest: the box that seals them (crypto/sealing.py) and where its key
comes from (crypto/key_file.py)."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from uprof.config import Settings
from uprof.crypto.key_file import SecretKeyError, load_keys, parse
from uprof.crypto.sealing import SecretBox, SecretUnreadable, is_plaintext
from uprof.webhooks.signing import new_secret

OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))


# --- the box -----------------------------------------------------------------------------------


def test_a_sealed_secret_opens_to_itself_and_reveals_nothing() -> None:
    box, secret = SecretBox([NEW]), new_secret()
    sealed = box.seal(secret)
    assert box.open(sealed) == secret
    assert secret not in sealed and secret.removeprefix("whsec_") not in sealed
    assert not is_plaintext(sealed) and sealed.isascii() and len(sealed) <= 200
    assert box.seal(secret) != sealed  # a fresh IV each time: equal secrets do not show as equal


def test_the_first_key_seals_and_every_key_opens() -> None:
    secret = new_secret()
    sealed_by_old = SecretBox([OLD]).seal(secret)
    rotating = SecretBox([NEW, OLD])
    assert rotating.open(sealed_by_old) == secret
    assert not rotating.is_current(sealed_by_old)
    resealed = rotating.reseal(sealed_by_old)
    assert rotating.is_current(resealed) and SecretBox([NEW]).open(resealed) == secret
    with pytest.raises(SecretUnreadable):
        SecretBox([OLD]).open(resealed)  # once resealed, the old key can be retired
    assert SecretBox([NEW]).open(rotating.seal(secret)) == secret


def test_a_secret_sealed_with_a_key_not_configured_is_unreadable() -> None:
    sealed = SecretBox([STRANGER]).seal(new_secret())
    box = SecretBox([NEW, OLD])
    for damaged in (sealed, sealed[:-4] + "AAAA", "gAAAAA-not-a-token", "é"):
        with pytest.raises(SecretUnreadable, match="no configured secret key decrypts the stored secret"):
            box.open(damaged)
        with pytest.raises(SecretUnreadable):
            box.reseal(damaged)
        assert not box.is_current(damaged)


def test_a_plaintext_secret_from_before_encryption_is_read_as_it_is_until_resealed() -> None:
    box, secret = SecretBox([NEW]), new_secret()
    assert is_plaintext(secret) and box.open(secret) == secret
    assert not box.is_current(secret)
    resealed = box.reseal(secret)
    assert not is_plaintext(resealed) and box.is_current(resealed) and box.open(resealed) == secret


def test_a_box_needs_a_key() -> None:
    with pytest.raises(ValueError):
        SecretBox([])


# --- where the key comes from --------------------------------------------------------------------


def settings(tmp_path: Path, secret_key: str | None = None) -> Settings:
    return Settings(secret_key=secret_key, secret_key_file=str(tmp_path / "uprof.key"))


def test_the_setting_is_a_comma_separated_list_and_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / "uprof.key").write_text(STRANGER)
    loaded = load_keys(settings(tmp_path, f" {NEW}, {OLD} "), create=True)
    assert (loaded.keys, loaded.created_file) == ((NEW, OLD), None)
    assert parse("the secret key", f"{NEW}\n{OLD}\n") == (NEW, OLD)


def test_the_key_file_is_created_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "uprof.key"
    with pytest.raises(SecretKeyError, match=f"the key file {path} does not exist"):
        load_keys(settings(tmp_path), create=False)
    created = load_keys(settings(tmp_path), create=True)
    assert created.created_file == path and len(created.keys) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == created.keys[0] + "\n"
    again = load_keys(settings(tmp_path), create=True)
    assert (again.keys, again.created_file) == (created.keys, None)
    assert sorted(item.name for item in tmp_path.iterdir()) == ["uprof.key"]  # no temporary file left


def test_processes_starting_at_once_share_one_new_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        loads = list(pool.map(lambda _: load_keys(settings(tmp_path), create=True), range(8)))
    assert len({loaded.keys for loaded in loads}) == 1
    assert sum(loaded.created_file is not None for loaded in loads) == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no key"),
        ("not a key\n", "is not a Fernet key"),
        (Fernet.generate_key().decode()[:-2], "is not a Fernet key"),
    ],
)
def test_a_key_file_without_a_valid_key_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "uprof.key").write_text(content)
    with pytest.raises(SecretKeyError, match=problem):
        load_keys(settings(tmp_path), create=True)


def test_a_malformed_key_in_the_list_is_named(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="key 2 of the secret key is not a Fernet key"):
        load_keys(settings(tmp_path, f"{NEW},{NEW[:-3]}"), create=False)


def test_a_key_file_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    missing = Settings(secret_key_file=str(tmp_path / "no-such-folder" / "uprof.key"))
    with pytest.raises(SecretKeyError, match="cannot create the key file .*No such file or directory"):
        load_keys(missing, create=True)
