"""Job, once at start: after a new primary key is configured, re-encrypt the VIM secrets."""

from __future__ import annotations

import logging

from servicevm_lifecycle.vims.rotation import rotate_secrets
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.secrets import get_cipher

log = logging.getLogger(__name__)


async def rotate_secrets_at_start(store: ServiceStore, settings: Settings) -> None:
    """Background job: after a new primary key is configured, the next start re-encrypts."""
    try:
        changed = await rotate_secrets(store, get_cipher(settings))
    except Exception:
        log.warning("VIM secret rotation failed; secrets stay as they are", exc_info=True)
        return
    if changed:
        log.info("VIM secrets re-encrypted with the primary key", extra={"count": changed})
