"""Is a VIM usable? Authenticate against its Keystone v3 and read the catalog.

Talks to the cloud (off the event loop, bounded); the reason of a failure is worded for an
operator and never contains a secret.
"""

from __future__ import annotations

import asyncio

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1.identity.base import BaseIdentityPlugin
from openstack import exceptions as sdk_exc
from openstack.connection import Connection

from servicevm_lifecycle.drivers.base import VimCredentials
from servicevm_lifecycle.drivers.vim import cloud_message, connection_args


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
