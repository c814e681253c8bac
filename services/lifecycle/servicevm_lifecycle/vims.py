"""VIMs seen from lifecycle: credentials for the drivers, checks, and secret rotation.

Secrets are decrypted only here, into a VimCredentials (whose repr hides them), right
before a driver or a check uses them; they are never stored, logged or sent in plaintext.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1.identity.base import BaseIdentityPlugin
from openstack import exceptions as sdk_exc
from openstack.connection import Connection
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters import vim_repository as vim_repo
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.drivers.base import VimCredentials
from servicevm_lifecycle.drivers.vim import cloud_message, connection_args
from shared.config import Settings
from shared.contracts import commands
from shared.contracts.models import DeviceTemplateSnapshot
from shared.messaging.dispatch import ServiceStore
from shared.plugins import PluginNotFound
from shared.secrets import Cipher, SecretError, get_cipher, plan_rotation

log = logging.getLogger(__name__)


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


# --- checks ------------------------------------------------------------------------------


class CatalogProblem(Exception):
    pass


async def check(vim: VimCredentials, *, within: float) -> str | None:
    """Authenticate against Keystone v3 and read the catalog, off the event loop and
    bounded: None when the VIM is usable, else the reason it is not."""
    try:
        await asyncio.wait_for(asyncio.to_thread(_authenticate, vim, within), within)
    except TimeoutError:
        return f"no answer from {vim.auth_url} within {within:g}s"
    except Exception as exc:
        return failure_reason(exc, vim.auth_url)
    return None


def _authenticate(vim: VimCredentials, timeout: float) -> None:
    conn = Connection(api_timeout=timeout, **connection_args(vim))
    try:
        conn.authorize()
        auth = conn.session.auth
        if not isinstance(auth, BaseIdentityPlugin):
            raise CatalogProblem("the authentication gave no service catalog")
        access = auth.get_access(conn.session)
        endpoints = access.service_catalog.get_endpoints(region_name=vim.region_name)
        if not endpoints.get("compute"):
            where = f" in region {vim.region_name}" if vim.region_name else ""
            raise CatalogProblem(f"the catalog offers no compute endpoint{where}")
    finally:
        conn.close()


def failure_reason(exc: BaseException, auth_url: str) -> str:
    """Why a check failed, in words an operator acts on (never containing a secret)."""
    if _http_status(exc) == 401:
        return "authentication failed (HTTP 401)"
    words = str(exc)
    if "connection refused" in words.lower():
        return f"cannot connect to {auth_url}: connection refused"
    if isinstance(exc, ksa_exc.ConnectTimeout | ksa_exc.RequestTimeout):
        return f"no answer from {auth_url}: timed out"
    if isinstance(exc, ksa_exc.ConnectFailure):
        return f"cannot connect to {auth_url}: {words}"
    if isinstance(exc, ksa_exc.DiscoveryFailure):
        return f"no Keystone v3 API at {auth_url}: {words}"
    if isinstance(exc, CatalogProblem):
        return words
    return cloud_message(exc)


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status of a failure, whether keystoneauth or openstacksdk raised it
    (openstacksdk's authorize wraps keystoneauth's error in a plain SDKException)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sdk_exc.HttpException) and seen.status_code is not None:
            return seen.status_code
        if isinstance(seen, ksa_exc.HttpError) and seen.http_status is not None:
            return seen.http_status
        seen = seen.__cause__ or seen.__context__
    return None


# --- rotation ----------------------------------------------------------------------------


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


async def rotate_secrets_at_start(store: ServiceStore, settings: Settings) -> None:
    """Background job: after a new primary key is configured, the next start re-encrypts."""
    try:
        changed = await rotate_secrets(store, get_cipher(settings))
    except Exception:
        log.warning("VIM secret rotation failed; secrets stay as they are", exc_info=True)
        return
    if changed:
        log.info("VIM secrets re-encrypted with the primary key", extra={"count": changed})
