"""Subscription secrets follow a Fernet key rotation: mgmt re-encrypts with the primary key
those encrypted with an older one (at every start, ``jobs.secret_rotation``), so the old key
can then be dropped."""

from __future__ import annotations

import logging
import uuid

from servicevm_mgmt.subscriptions import repository as sub_repo
from shared.messaging.dispatch import ServiceStore
from shared.secrets import Cipher, plan_rotation

log = logging.getLogger(__name__)


async def rotate_secrets(store: ServiceStore, cipher: Cipher) -> int:
    """How many secrets were re-encrypted; one no configured key opens is left, with a warning."""
    async with store.unit_of_work(f"req-rotate-{uuid.uuid4()}") as uow:
        rotation = plan_rotation(cipher, await sub_repo.lock_secrets(uow.conn))
        for subscription_id, reason in rotation.unreadable:
            log.warning(
                "subscription secret not rotated",
                extra={"subscription_id": str(subscription_id), "reason": reason},
            )
        for subscription_id, rotated in rotation.rotated:
            await sub_repo.set_secret(
                uow.conn, subscription_id=subscription_id, encrypted_secret=rotated
            )
        await uow.commit()
    return len(rotation.rotated)
