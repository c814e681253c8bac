"""What the nova and heat drivers share: a VIM session per spec, and polling a resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from openstack.connection import Connection

from servicevm_lifecycle.drivers import cloud_spec
from servicevm_lifecycle.drivers.backoff import poll_until
from servicevm_lifecycle.drivers.base import (
    DeviceDriver,
    DeviceDriverError,
    DeviceSpec,
    VimCredentials,
)
from servicevm_lifecycle.drivers.vim import VimSession, VimSessions, default_sessions

T = TypeVar("T")


class CloudDriver(DeviceDriver):
    kind: ClassVar[str]
    needs_vim = True

    def __init__(self, sessions: VimSessions | None = None) -> None:
        self._sessions = sessions or default_sessions()
        # status() gets no spec: remember which VIM each instance lives in (this process).
        self._vims: dict[str, VimCredentials] = {}

    def _session(self, spec: DeviceSpec, instance_id: str | None = None) -> VimSession:
        if spec.vim is None:
            raise DeviceDriverError(
                f"no VIM given for device {spec.device_id}: the {self.kind} driver needs one"
            )
        if instance_id is not None:
            self._vims[instance_id] = spec.vim
        return self._sessions.get(spec.vim)

    def _known_session(self, instance_id: str) -> VimSession:
        vim = self._vims.get(instance_id)
        if vim is None:
            raise DeviceDriverError(
                f"no VIM known for {self.kind} instance {instance_id} in this process"
            )
        return self._sessions.get(vim)

    async def status_of(self, instance_id: str, spec: DeviceSpec) -> str:
        self._session(spec, instance_id)  # remembers the instance's VIM
        return await self.status(instance_id)

    async def _poll(
        self,
        session: VimSession,
        spec: DeviceSpec,
        fetch: Callable[[Connection], T],
        is_done: Callable[[T], bool],
        *,
        what: str,
        describe: Callable[[T], str],
    ) -> T:
        """Call fetch in the VIM's pool with growing pauses until is_done, or time out."""
        settings = session.settings
        return await poll_until(
            lambda: session.call(fetch, what=what),
            is_done,
            within=cloud_spec.ready_timeout(spec, settings.vim_ready_timeout_seconds),
            min_interval=settings.vim_poll_min_seconds,
            max_interval=settings.vim_poll_max_seconds,
            what=what,
            describe=describe,
        )
