"""Calls to a VIM through openstacksdk, off the event loop, bounded and retried.

openstacksdk is synchronous and its Connection is not thread-safe, so every VIM gets its own
bounded thread pool (at most SERVICEVM_VIM_MAX_CONCURRENCY calls in flight) and every thread
of that pool its own Connection. Transient failures (5xx, lost connections, timeouts) are
retried with capped exponential backoff; every other failure becomes a DeviceDriverError
carrying the cloud's own message.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc
from openstack.connection import Connection

from servicevm_lifecycle.drivers.backoff import retry_delays
from servicevm_lifecycle.drivers.base import DeviceDriverError, VimCredentials
from shared.config import Settings, get_settings

T = TypeVar("T")
log = logging.getLogger(__name__)


def connection_args(vim: VimCredentials) -> dict[str, Any]:
    """openstacksdk Connection keyword arguments: Keystone v3 password or app credential."""
    if vim.uses_application_credential:
        auth_type = "v3applicationcredential"
        auth = {
            "auth_url": vim.auth_url,
            "application_credential_id": vim.application_credential_id,
            "application_credential_secret": vim.application_credential_secret,
        }
    else:
        auth_type = "password"
        auth = {
            "auth_url": vim.auth_url,
            "username": vim.user_name,
            "password": vim.password,
            "user_domain_name": vim.user_domain_name,
            "project_name": vim.project_name,
            "project_id": vim.project_id,
            "project_domain_name": vim.project_domain_name,
        }
    return {
        "auth_type": auth_type,
        "auth": {key: value for key, value in auth.items() if value is not None},
        "region_name": vim.region_name,
        # Retries are ours (below), counted in one place: keep openstacksdk's own off.
        "connect_retries": 0,
        "status_code_retries": 0,
        "image_status_code_retries": 0,
    }


def is_transient(exc: BaseException) -> bool:
    """Worth another try: the cloud was briefly unwell, not saying no."""
    if isinstance(exc, sdk_exc.HttpException):
        return exc.status_code is not None and exc.status_code >= 500
    if isinstance(exc, ksa_exc.HttpError):
        return exc.http_status is not None and exc.http_status >= 500
    return isinstance(exc, ksa_exc.ConnectionError)


def cloud_message(exc: BaseException) -> str:
    """The cloud's own words for a failure, without the SDK's URL noise."""
    if isinstance(exc, ksa_exc.Unauthorized):
        return f"VIM authentication failed: {exc.message} (HTTP 401)"
    if isinstance(exc, sdk_exc.HttpException):
        return f"{exc.details or exc.message} (HTTP {exc.status_code})"
    if isinstance(exc, ksa_exc.HttpError):
        return f"{exc.details or exc.message} (HTTP {exc.http_status})"
    return str(exc) or type(exc).__name__


class VimSession:
    """All calls to one VIM."""

    def __init__(self, vim: VimCredentials, settings: Settings) -> None:
        self.vim = vim
        self.settings = settings
        self._pool = ThreadPoolExecutor(
            max_workers=settings.vim_max_concurrency, thread_name_prefix="vim"
        )
        self._local = threading.local()
        self._connections: list[Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = Connection(
                api_timeout=self.settings.vim_api_timeout_seconds, **connection_args(self.vim)
            )
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    async def call(self, fn: Callable[[Connection], T], *, what: str) -> T:
        """Run fn(connection) in the pool; retry transient failures; else DeviceDriverError.

        fn must be safe to repeat: a create looks for what an earlier try made first.
        """
        s = self.settings
        loop = asyncio.get_running_loop()
        delays = retry_delays(
            s.vim_retry_attempts, s.vim_retry_base_seconds, s.vim_retry_max_seconds
        )
        for attempt, delay in enumerate([*delays, None], start=1):
            try:
                return await loop.run_in_executor(self._pool, lambda: fn(self._connection()))
            except DeviceDriverError:
                raise  # already says what went wrong
            except Exception as exc:
                if delay is None or not is_transient(exc):
                    tries = f" after {attempt} tries" if attempt > 1 else ""
                    raise DeviceDriverError(f"{what} failed{tries}: {cloud_message(exc)}") from exc
                log.warning(
                    "%s: transient failure (try %d), retrying: %s",
                    what,
                    attempt,
                    cloud_message(exc),
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last try returns or raises")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


class VimSessions:
    """One VimSession per VIM, shared by the drivers of a process."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._sessions: dict[VimCredentials, VimSession] = {}
        self._lock = threading.Lock()

    def get(self, vim: VimCredentials) -> VimSession:
        with self._lock:
            session = self._sessions.get(vim)
            if session is None:
                session = self._sessions[vim] = VimSession(vim, self.settings)
            return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()


_default: VimSessions | None = None


def default_sessions() -> VimSessions:
    """The process-wide sessions, so nova and heat share each VIM's concurrency bound."""
    global _default
    if _default is None:
        _default = VimSessions()
    return _default
