"""Stored secrets follow a Fernet key rotation: a service that keeps secrets (lifecycle its
VIMs', mgmt its subscriptions') re-encrypts with the primary key those encrypted with an
older one, at every start, so that the old key can then be dropped. One procedure for both;
each service says where its secrets are (``StoredSecrets``). The rule for each secret is
``shared.secrets.plan_rotation``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.runtime import BackgroundJob
from shared.secrets import Cipher, get_cipher, plan_rotation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSecrets:
    """A service's table of secrets, as its repository reads and writes it."""

    noun: str  # what the secrets belong to, for the logs: "VIM"
    owner_field: str  # the log field naming one owner: "vim_id"
    # Every (owner id, encrypted secret), locked for the rest of the transaction.
    lock: Callable[[AsyncConnection], Awaitable[list[tuple[uuid.UUID, str]]]]
    # Store one owner's secret, encrypted again.
    write: Callable[[AsyncConnection, uuid.UUID, str], Awaitable[None]]


async def rotate_secrets(store: ServiceStore, cipher: Cipher, secrets: StoredSecrets) -> int:
    """Re-encrypt with the primary key every stored secret encrypted with an older one;
    returns how many. A secret no configured key opens is left as is, with a warning."""
    async with store.unit_of_work(f"req-rotate-{uuid.uuid4()}") as uow:
        rotation = plan_rotation(cipher, await secrets.lock(uow.conn))
        for owner, reason in rotation.unreadable:
            log.warning(
                "%s secret not rotated",
                secrets.noun,
                extra={secrets.owner_field: str(owner), "reason": reason},
            )
        for owner, rotated in rotation.rotated:
            await secrets.write(uow.conn, owner, rotated)
        await uow.commit()
    return len(rotation.rotated)


def rotation_at_start(secrets: StoredSecrets) -> BackgroundJob:
    """The background job, run once at start: after a new primary key is configured, the
    next start re-encrypts. A failure is logged, not raised: the secrets stay readable with
    the old key, and the next start tries again."""

    async def rotate_secrets_at_start(store: ServiceStore, settings: Settings) -> None:
        try:
            changed = await rotate_secrets(store, get_cipher(settings), secrets)
        except Exception:
            log.warning(
                "%s secret rotation failed; secrets stay as they are", secrets.noun, exc_info=True
            )
            return
        if changed:
            log.info(
                "%s secrets re-encrypted with the primary key",
                secrets.noun,
                extra={"count": changed},
            )

    return rotate_secrets_at_start
