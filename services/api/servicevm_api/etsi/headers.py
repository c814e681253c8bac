"""Response header names in their canonical case for the ETSI interfaces.

HTTP header names are case-insensitive, and ASGI servers pass names through as given;
Starlette lowercases them. Some NFVO tools read ``Location``, ``ETag``, ``Link``,
``Content-Type`` and ``Version`` case-sensitively, so ETSI responses spell them canonically.
"""

from __future__ import annotations

from collections.abc import Iterable

# Names whose canonical spelling is not plain Title-Case of their dash-separated words.
_SPECIAL = {b"etag": b"ETag", b"www-authenticate": b"WWW-Authenticate"}


def canonical_name(name: bytes) -> bytes:
    """``b"content-type"`` -> ``b"Content-Type"``, ``b"etag"`` -> ``b"ETag"``."""
    lowered = name.lower()
    if lowered in _SPECIAL:
        return _SPECIAL[lowered]
    return b"-".join(part[:1].upper() + part[1:] for part in lowered.split(b"-"))


def canonical_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(canonical_name(bytes(name)), bytes(value)) for name, value in headers]
