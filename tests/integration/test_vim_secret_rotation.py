"""Rotating the Fernet key: lifecycle re-encrypts the stored VIM secrets with the primary."""

from __future__ import annotations

import asyncio
import uuid

from cryptography.fernet import Fernet

from servicevm_lifecycle.bootstrap import DEFINITION
from servicevm_lifecycle.vims import repository as vim_repo
from servicevm_lifecycle.vims.rotation import rotate_secrets
from shared.config import Settings
from shared.contracts.models import VimSpec
from shared.runtime import build_store
from shared.secrets import Cipher


def _spec(token: str) -> VimSpec:
    return VimSpec(
        tenant_id=f"rotation-{uuid.uuid4().hex[:8]}",
        name="rotated",
        description="",
        type="openstack",
        auth_url="http://keystone/v3",
        region_name=None,
        project_name=None,
        project_domain_name=None,
        project_id="p",
        user_name="demo",
        user_domain_name="Default",
        application_credential_id=None,
        encrypted_secret=token,
        is_default=False,
    )


async def _rotate(settings: Settings, old: bytes, new: bytes) -> tuple[str, int, int]:
    store = build_store(DEFINITION, settings)
    vim_id = uuid.uuid4()
    try:
        async with store.unit_of_work("req-rotation-test") as uow:
            await vim_repo.add_vim(uow.conn, vim_id=vim_id, spec=_spec(Cipher([old]).encrypt("pw")))
            await uow.commit()
        rotated = await rotate_secrets(store, Cipher([new, old]))
        again = await rotate_secrets(store, Cipher([new, old]))
        async with store.unit_of_work("req-rotation-test") as uow:
            row = await vim_repo.get_vim(uow.conn, vim_id=vim_id)
            assert row is not None
            await vim_repo.delete_vim(uow.conn, vim_id=vim_id)
            await uow.commit()
        return row.encrypted_secret, rotated, again
    finally:
        await store.engine.dispose()


def test_rotation_reencrypts_stored_secrets_with_the_primary_key(database: Settings) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token, rotated, again = asyncio.run(_rotate(database, old, new))
    assert rotated >= 1 and again == 0
    assert Cipher([new]).decrypt(token) == "pw"  # the old key is no longer needed
