"""Every secret the tests hand to the suite, so that its logs can be searched for them."""

from __future__ import annotations

from pathlib import Path

USED: set[str] = set()


def remember(secret: str) -> str:
    USED.add(secret)
    return secret


def leaks(log_dir: Path) -> list[str]:
    """``file: secret-prefix`` for each secret found in any file under ``log_dir``."""
    found: list[str] = []
    for path in sorted(p for p in log_dir.rglob("*") if p.is_file()):
        text = path.read_text(errors="replace")
        found += [f"{path.name}: {secret[:4]}..." for secret in sorted(USED) if secret in text]
    return found
