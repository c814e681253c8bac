"""Devices as Heat stacks, through openstacksdk.

Template attribute ``heat_template`` (HOT as YAML) is the stack's template; without it a
single-server template is generated from ``image``, ``flavor``, ... as for the nova driver.
Parameters come from kwargs: ``parameters`` (a dict) and scalar kwargs named like a template
parameter. The facts are read from the outputs ``mgmt_address`` (or ``mgmt_ip``), ``host``
and ``availability_zone``.
"""

from __future__ import annotations

import uuid
from typing import Any

from openstack import exceptions as sdk_exc
from openstack.connection import Connection
from openstack.orchestration.v1.stack import Stack

from servicevm_lifecycle.drivers import cloud_spec, heat_template
from servicevm_lifecycle.drivers.base import (
    DeviceDriverError,
    DeviceSpec,
    InstanceFacts,
    OwnedInstance,
    VimCredentials,
)
from servicevm_lifecycle.drivers.cloud_driver import CloudDriver
from servicevm_lifecycle.drivers.vim import VimSession

GONE = "DELETE_COMPLETE"  # status() of a stack that no longer exists
STACK_PREFIX = "servicevm-"


def stack_name(spec: DeviceSpec) -> str:
    # Unique per device, so a retried create finds the stack an earlier try made, and the
    # orphan reconciler reads the device id back from the name.
    return f"{STACK_PREFIX}{spec.device_id}"


def device_id_of(name: str) -> str | None:
    """The device id a stack was named after, None for a stack servicevm did not name."""
    if not name.startswith(STACK_PREFIX):
        return None
    try:
        return str(uuid.UUID(name.removeprefix(STACK_PREFIX)))
    except ValueError:
        return None


class HeatDeviceDriver(CloudDriver):
    kind = "heat"

    async def create(self, spec: DeviceSpec) -> str:
        session = self._session(spec)
        template = heat_template.template_for(spec)
        parameters = heat_template.stack_parameters(template, spec.kwargs)
        name = stack_name(spec)
        try:
            stack_id = await session.call(
                lambda conn: _create(conn, name, template, parameters),
                what=f"create of stack {name}",
            )
        except DeviceDriverError:
            await self._delete_stray(session, spec)  # a lost answer may hide a made stack
            raise
        self._vims[stack_id] = session.vim
        return stack_id

    async def wait_until_ready(self, instance_id: str, spec: DeviceSpec) -> InstanceFacts:
        stack = await self._wait_for(instance_id, spec, "CREATE")
        return heat_template.facts_from_outputs(stack.outputs)

    async def update(self, instance_id: str, spec: DeviceSpec) -> None:
        session = self._session(spec, instance_id)
        template = heat_template.template_for(spec)
        parameters = heat_template.stack_parameters(template, spec.kwargs)
        await session.call(
            lambda conn: conn.orchestration.update_stack(
                instance_id, template=template, parameters=parameters
            ),
            what=f"update of stack {instance_id}",
        )
        await self._wait_for(instance_id, spec, "UPDATE")

    async def delete(self, instance_id: str, spec: DeviceSpec) -> None:
        session = self._session(spec, instance_id)
        await session.call(
            lambda conn: conn.orchestration.delete_stack(instance_id, ignore_missing=True),
            what=f"delete of stack {instance_id}",
        )
        await self._poll(
            session,
            spec,
            lambda conn: _fetch_action(conn, instance_id, "DELETE"),
            lambda s: s is None,
            what=f"stack {instance_id} to be deleted",
            describe=lambda s: "gone" if s is None else str(s.status),
        )
        self._vims.pop(instance_id, None)

    async def start(self, instance_id: str, spec: DeviceSpec) -> None:
        """Heat's stack resume: every server of the stack is resumed (RESUME_COMPLETE)."""
        await self._suspend_or_resume(instance_id, spec, "RESUME")

    async def stop(
        self, instance_id: str, spec: DeviceSpec, graceful_timeout: float | None = None
    ) -> None:
        """Heat's stack suspend: every server of the stack is suspended (SUSPEND_COMPLETE);
        Heat has no graceful timeout, the wait for the stack bounds it."""
        await self._suspend_or_resume(instance_id, spec, "SUSPEND")

    async def request_stop(self, instance_id: str, spec: DeviceSpec) -> None:
        """Heat's stack suspend, not waited for: a stack suspended or suspending already is
        left as it is (``is_stopped`` once SUSPEND_COMPLETE)."""
        session = self._session(spec, instance_id)
        stack = await session.call(
            lambda conn: _fetch(conn, instance_id), what=f"stack {instance_id}"
        )
        if stack is None or stack.status in ("SUSPEND_COMPLETE", "SUSPEND_IN_PROGRESS"):
            return
        await session.call(
            lambda conn: conn.orchestration.suspend_stack(instance_id),
            what=f"suspend of stack {instance_id}",
        )

    async def _suspend_or_resume(self, instance_id: str, spec: DeviceSpec, action: str) -> None:
        session = self._session(spec, instance_id)
        stack = await session.call(
            lambda conn: _fetch(conn, instance_id), what=f"stack {instance_id}"
        )
        if stack is None:
            raise DeviceDriverError(
                f"cannot {action.lower()} stack {instance_id}: it does not exist"
            )
        if stack.status != f"{action}_COMPLETE":
            call = "suspend_stack" if action == "SUSPEND" else "resume_stack"
            await session.call(
                lambda conn: getattr(conn.orchestration, call)(instance_id),
                what=f"{action.lower()} of stack {instance_id}",
            )
        await self._wait_for(instance_id, spec, action)

    async def status(self, instance_id: str) -> str:
        session = self._known_session(instance_id)
        stack = await session.call(
            lambda conn: _fetch(conn, instance_id), what=f"stack {instance_id}"
        )
        return GONE if stack is None else str(stack.status)

    async def find_instance(self, spec: DeviceSpec) -> str | None:
        session = self._session(spec)
        name = stack_name(spec)
        stack = await session.call(lambda conn: _fetch(conn, name), what=f"look-up of stack {name}")
        return None if stack is None else str(stack.id)

    async def owned_instances(self, vim: VimCredentials | None) -> list[OwnedInstance]:
        if vim is None:
            return []
        return await self._sessions.get(vim).call(_owned, what="listing of servicevm stacks")

    async def _wait_for(self, instance_id: str, spec: DeviceSpec, action: str) -> Stack:
        session = self._session(spec, instance_id)
        stack = await self._poll(
            session,
            spec,
            lambda conn: _fetch_action(conn, instance_id, action),
            lambda s: s is not None and s.status == f"{action}_COMPLETE",
            what=f"stack {instance_id} to reach {action}_COMPLETE",
            describe=lambda s: "gone" if s is None else str(s.status),
        )
        assert stack is not None  # is_done holds
        return stack

    async def _delete_stray(self, session: VimSession, spec: DeviceSpec) -> None:
        name = stack_name(spec)
        try:
            stack = await session.call(
                lambda conn: _fetch(conn, name), what=f"look-up of stack {name}"
            )
            if stack is not None:
                await self.delete(str(stack.id), spec)
        except DeviceDriverError:
            pass  # best effort: the original failure is what the caller must see


# --- synchronous openstacksdk calls, run in the VIM's thread pool --------------------------
def _create(
    conn: Connection, name: str, template: dict[str, Any], parameters: dict[str, Any]
) -> str:
    existing = _fetch(conn, name)
    if existing is not None:
        return str(existing.id)  # an earlier try got through; do not create twice
    stack = conn.orchestration.create_stack(
        name=name, template=template, parameters=parameters, is_rollback_disabled=True
    )
    return str(stack.id)


def _owned(conn: Connection) -> list[OwnedInstance]:
    owned = []
    for stack in conn.orchestration.stacks():
        device_id = device_id_of(str(stack.name or ""))
        if device_id is not None and stack.status != GONE:
            owned.append(
                OwnedInstance(str(stack.id), device_id, cloud_spec.cloud_time(stack.created_at))
            )
    return owned


def _fetch(conn: Connection, name_or_id: str) -> Stack | None:
    try:
        return conn.orchestration.get_stack(name_or_id)
    except sdk_exc.NotFoundException:
        return None


def _fetch_action(conn: Connection, stack_id: str, action: str) -> Stack | None:
    """The stack, or None once deleted; its action failing is a DeviceDriverError."""
    stack = _fetch(conn, stack_id)
    if stack is None and action != "DELETE":
        raise DeviceDriverError(f"stack {stack_id} disappeared during {action}")
    if stack is not None and stack.status == f"{action}_FAILED":
        raise DeviceDriverError(f"stack {stack_id} {stack.status}: {stack.status_reason}")
    return stack
