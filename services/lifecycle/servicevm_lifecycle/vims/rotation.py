"""VIM secrets follow a Fernet key rotation (``shared.secret_rotation``): re-encrypt with
the primary key those encrypted with an older one, so the old key can then be dropped."""

from __future__ import annotations

from servicevm_lifecycle.vims import repository as vim_repo
from shared.messaging.dispatch import ServiceStore
from shared.secret_rotation import StoredSecrets
from shared.secret_rotation import rotate_secrets as rotate_stored_secrets
from shared.secrets import Cipher

VIM_SECRETS = StoredSecrets(
    noun="VIM",
    owner_field="vim_id",
    lock=vim_repo.lock_secrets,
    write=lambda conn, vim_id, secret: vim_repo.set_secret(
        conn, vim_id=vim_id, encrypted_secret=secret
    ),
)


async def rotate_secrets(store: ServiceStore, cipher: Cipher) -> int:
    """How many VIM secrets were re-encrypted with the primary key."""
    return await rotate_stored_secrets(store, cipher, VIM_SECRETS)
