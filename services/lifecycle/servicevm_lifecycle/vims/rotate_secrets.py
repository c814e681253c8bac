"""Re-encrypt the stored VIM secrets with the primary Fernet key, then exit.

    SERVICEVM_FERNET_KEYS=<new>,<old> python -m servicevm_lifecycle.vims.rotate_secrets

lifecycle also does this at every start; this is for rotating without a restart.
"""

from __future__ import annotations

import asyncio

from servicevm_lifecycle.bootstrap import DEFINITION
from servicevm_lifecycle.vims.rotation import rotate_secrets
from shared.config import get_settings
from shared.runtime import build_store
from shared.secrets import get_cipher


async def _rotate() -> int:
    settings = get_settings()
    store = build_store(DEFINITION, settings)
    try:
        return await rotate_secrets(store, get_cipher(settings))
    finally:
        await store.engine.dispose()


def main() -> None:
    print(f"re-encrypted {asyncio.run(_rotate())} VIM secret(s) with the primary key")


if __name__ == "__main__":
    main()
