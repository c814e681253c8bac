"""Subscription secrets follow a Fernet key rotation (``shared.secret_rotation``): mgmt
re-encrypts with the primary key those encrypted with an older one (at every start,
``jobs.secret_rotation``), so the old key can then be dropped."""

from __future__ import annotations

from servicevm_mgmt.subscriptions import repository as sub_repo
from shared.messaging.dispatch import ServiceStore
from shared.secret_rotation import StoredSecrets
from shared.secret_rotation import rotate_secrets as rotate_stored_secrets
from shared.secrets import Cipher

SUBSCRIPTION_SECRETS = StoredSecrets(
    noun="subscription",
    owner_field="subscription_id",
    lock=sub_repo.lock_secrets,
    write=lambda conn, subscription_id, secret: sub_repo.set_secret(
        conn, subscription_id=subscription_id, encrypted_secret=secret
    ),
)


async def rotate_secrets(store: ServiceStore, cipher: Cipher) -> int:
    """How many subscription secrets were re-encrypted; one no configured key opens is left,
    with a warning."""
    return await rotate_stored_secrets(store, cipher, SUBSCRIPTION_SECRETS)
