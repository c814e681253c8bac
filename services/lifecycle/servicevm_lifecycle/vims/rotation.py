"""VIM secrets follow a Fernet key rotation: re-encrypt with the primary key those
encrypted with an older one, so the old key can then be dropped."""

from __future__ import annotations

import logging
import uuid

from servicevm_lifecycle.vims import repository as vim_repo
from shared.messaging.dispatch import ServiceStore
from shared.secrets import Cipher, plan_rotation

log = logging.getLogger(__name__)


async def rotate_secrets(store: ServiceStore, cipher: Cipher) -> int:
    """Re-encrypt with the primary key every stored secret encrypted with an older one;
    returns how many. A secret no configured key opens is left as is, with a warning."""
    async with store.unit_of_work(f"req-rotate-{uuid.uuid4()}") as uow:
        rotation = plan_rotation(cipher, await vim_repo.lock_secrets(uow.conn))
        for vim_id, reason in rotation.unreadable:
            log.warning("VIM secret not rotated", extra={"vim_id": str(vim_id), "reason": reason})
        for vim_id, rotated in rotation.rotated:
            await vim_repo.set_secret(uow.conn, vim_id=vim_id, encrypted_secret=rotated)
        await uow.commit()
    return len(rotation.rotated)
