"""Fernet secrets at rest: encryption, key rotation, the generated development key file."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shared.config import Settings
from shared.secrets import Cipher, SecretError, load_keys, plan_rotation


def test_encrypts_and_decrypts_without_keeping_the_plaintext() -> None:
    cipher = Cipher([Fernet.generate_key()])
    token = cipher.encrypt("s3cret")
    assert "s3cret" not in token
    assert cipher.decrypt(token) == "s3cret"


def test_rotation_reencrypts_with_the_primary_key() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = Cipher([old]).encrypt("s3cret")
    both = Cipher([new, old])
    assert both.decrypt(token) == "s3cret"  # old tokens still open during the rotation
    assert not both.is_current(token)
    rotated = both.rotate(token)
    assert both.is_current(rotated)
    assert Cipher([new]).decrypt(rotated) == "s3cret"  # the old key can now be dropped
    with pytest.raises(SecretError):
        Cipher([new]).decrypt(token)


def test_a_token_of_an_unknown_key_is_a_secret_error_without_the_token() -> None:
    token = Cipher([Fernet.generate_key()]).encrypt("s3cret")
    with pytest.raises(SecretError) as caught:
        Cipher([Fernet.generate_key()]).rotate(token)
    assert token not in str(caught.value)


def test_invalid_keys_are_refused() -> None:
    with pytest.raises(SecretError):
        Cipher([b"not a key"])
    with pytest.raises(SecretError):
        Cipher([])


def test_configured_keys_come_first_in_order() -> None:
    first, second = Fernet.generate_key(), Fernet.generate_key()
    settings = Settings(fernet_keys=f" {first.decode()} , {second.decode()} ")
    assert load_keys(settings) == [first, second]


def test_without_configuration_a_private_key_file_is_generated_once(tmp_path: Path) -> None:
    path = tmp_path / "state" / f"{uuid.uuid4().hex}.key"
    settings = Settings(fernet_keys="", fernet_key_file=path)
    (key,) = load_keys(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(settings) == [key]  # the same key at the next start
    Fernet(key)  # a valid key
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no staging file left


def test_plan_rotation_reencrypts_old_keeps_current_and_reports_unreadable() -> None:
    old, new, lost = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    before = Cipher([old])
    stored = [
        ("old", before.encrypt("s1")),
        ("current", Cipher([new]).encrypt("s2")),
        ("lost", Cipher([lost]).encrypt("s3")),
    ]
    after = Cipher([new, old])
    rotation = plan_rotation(after, stored)
    assert [owner for owner, _ in rotation.rotated] == ["old"]
    ((_, token),) = rotation.rotated
    assert after.is_current(token) and Cipher([new]).decrypt(token) == "s1"
    assert [owner for owner, _ in rotation.unreadable] == ["lost"]
    assert "s3" not in rotation.unreadable[0][1]
