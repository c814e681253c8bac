"""Secrets at rest (VIM passwords, application credential secrets): Fernet with rotation.

The keys come from SERVICEVM_FERNET_KEYS (comma-separated; the first encrypts, all
decrypt), or, when that is unset, from a key file generated once (mode 0600) so that a
development machine needs no configuration. Rotating: put a new key first, re-encrypt the
stored tokens (``rotate``), then drop the old key.

    python -m shared.secrets generate-key   # print a new key for SERVICEVM_FERNET_KEYS
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.config import Settings, get_settings

K = TypeVar("K")


class SecretError(Exception):
    """A token cannot be decrypted with the configured keys (wrong or dropped key)."""


def load_keys(settings: Settings) -> list[bytes]:
    """The configured keys, primary first; a generated key file when none are configured."""
    keys = [key.strip().encode() for key in settings.fernet_keys.split(",") if key.strip()]
    return keys or [_key_file(settings.fernet_key_file.expanduser())]


def _key_file(path: Path) -> bytes:
    """Read the key file, creating it first if absent. Created beside and linked into place,
    so two services starting at once agree on one key and never read a half-written file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, Fernet.generate_key())
        finally:
            os.close(fd)
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another process won the race: its key is the one
        finally:
            staging.unlink()
    return path.read_bytes().strip()


class Cipher:
    """Encrypt with the primary key, decrypt with any configured key."""

    def __init__(self, keys: Iterable[bytes]) -> None:
        try:
            fernets = [Fernet(key) for key in keys]
        except ValueError as exc:
            raise SecretError(f"invalid Fernet key: {exc}") from None
        if not fernets:
            raise SecretError("no Fernet key configured")
        self._primary = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretError("cannot decrypt: encrypted with a key no longer configured") from None

    def is_current(self, token: str) -> bool:
        """Encrypted with the primary key (nothing to rotate)."""
        try:
            self._primary.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same secret encrypted with the primary key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretError("cannot rotate: encrypted with a key no longer configured") from None


@dataclass(frozen=True)
class Rotation(Generic[K]):
    """What a key rotation does to stored secrets, keyed by their owner's id."""

    # (owner, the secret re-encrypted with the primary key) for those an older key opened.
    rotated: list[tuple[K, str]]
    # (owner, why) for those no configured key opens: left as they are.
    unreadable: list[tuple[K, str]]


def plan_rotation(cipher: Cipher, stored: Iterable[tuple[K, str]]) -> Rotation[K]:
    """One rule for every service that stores secrets: re-encrypt what an older key opened,
    leave what is current, report what no key opens."""
    rotation: Rotation[K] = Rotation(rotated=[], unreadable=[])
    for owner, token in stored:
        if cipher.is_current(token):
            continue
        try:
            rotation.rotated.append((owner, cipher.rotate(token)))
        except SecretError as exc:
            rotation.unreadable.append((owner, str(exc)))
    return rotation


@lru_cache
def _cipher(keys: tuple[bytes, ...]) -> Cipher:
    return Cipher(keys)


def get_cipher(settings: Settings | None = None) -> Cipher:
    return _cipher(tuple(load_keys(settings or get_settings())))


def main(argv: list[str]) -> int:
    if argv[:1] == ["generate-key"]:
        print(Fernet.generate_key().decode())
        return 0
    print("usage: python -m shared.secrets generate-key", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
