"""A VIM's credentials for a driver, and the VIM a new device is built in.

Secrets are decrypted only here, into a VimCredentials (whose repr hides them), right
before a driver or a check uses them; they are never stored, logged or sent in plaintext.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.drivers.base import VimCredentials
from servicevm_lifecycle.vims import repository as vim_repo
from shared.contracts import commands
from shared.contracts.models import DeviceTemplateSnapshot
from shared.plugins import PluginNotFound
from shared.secrets import Cipher, SecretError


class NoVim(Exception):
    """A device needs a VIM and none can be used; the message says why."""


def credentials(row: Row[Any], cipher: Cipher) -> VimCredentials:
    """The VIM's credentials, its secret decrypted (raises SecretError)."""
    secret = cipher.decrypt(row.encrypted_secret)
    app_cred = row.application_credential_id is not None
    return VimCredentials(
        auth_url=row.auth_url,
        region_name=row.region_name,
        project_name=row.project_name,
        project_domain_name=row.project_domain_name,
        project_id=row.project_id,
        user_name=row.user_name,
        user_domain_name=row.user_domain_name,
        password=None if app_cred else secret,
        application_credential_id=row.application_credential_id,
        application_credential_secret=secret if app_cred else None,
    )


async def load_credentials(
    conn: AsyncConnection, *, vim_id: uuid.UUID | None, tenant_id: str, cipher: Cipher
) -> VimCredentials:
    """The credentials of a device's VIM; NoVim says why there are none."""
    if vim_id is None:
        raise NoVim(f"no vim_id given and project {tenant_id} has no default VIM")
    row = await vim_repo.get_vim(conn, vim_id=vim_id)
    if row is None:
        raise NoVim(f"VIM {vim_id} not found")
    try:
        return credentials(row, cipher)
    except SecretError as exc:
        raise NoVim(f"credentials of VIM {vim_id}: {exc}") from None


async def choose_vim(
    conn: AsyncConnection, cmd: commands.CreateDevice, template: DeviceTemplateSnapshot | None
) -> uuid.UUID | None:
    """The device's VIM, fixed for its life: its own, its template's, else (for a driver
    that builds in one) the project's default VIM at the time of creation."""
    chosen = cmd.vim_id or (template.vim_id if template is not None else None)
    if chosen is None and template is not None and _needs_vim(template.device_driver):
        chosen = await vim_repo.default_vim_id(conn, tenant_id=cmd.tenant_id)
    return chosen


def _needs_vim(device_driver: str) -> bool:
    try:
        return get_device_driver(device_driver).needs_vim
    except PluginNotFound:
        return False  # the flow reports the unknown driver
