"""The driver steps of device operations, as revertible tasks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from servicevm_lifecycle.adapters import repository as repo
from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.drivers.base import DeviceDriver, DeviceSpec, InstanceFacts, VimCredentials
from servicevm_lifecycle.vims.credentials import load_credentials
from shared.config import get_settings
from shared.contracts.models import DeviceTemplateSnapshot
from shared.flows import Task, retrying
from shared.messaging.dispatch import HandlerContext
from shared.secrets import get_cipher


@dataclass
class DeviceFlowState:
    # The handler's, for the steps that record in transactions of their own; None for an
    # in-process driver's create, which runs inside its caller's transaction.
    ctx: HandlerContext | None
    driver: DeviceDriver
    spec: DeviceSpec
    device: Device
    timeout: float
    facts: InstanceFacts | None = None


def spec_of(
    device: Device, template: DeviceTemplateSnapshot, vim: VimCredentials | None
) -> DeviceSpec:
    """What a driver needs to act on ``device`` (built from its template, in ``vim``)."""
    return DeviceSpec(
        device_id=device.id,
        tenant_id=device.tenant_id,
        template_attributes=template.attributes,
        kwargs=device.kwargs,
        service_contexts=device.service_contexts,
        vim=vim,
    )


async def flow_state(
    ctx: HandlerContext | None,
    driver: DeviceDriver,
    device: Device,
    template: DeviceTemplateSnapshot,
) -> DeviceFlowState:
    """What the driver steps need; a driver that builds in a VIM gets its credentials,
    decrypted only now (raises NoVim when the device has none it can use)."""
    vim = None
    if driver.needs_vim:
        if ctx is None:
            raise RuntimeError("a driver that needs a VIM runs in a handler's context")
        async with ctx.transaction() as uow:
            vim = await load_credentials(
                uow.conn, vim_id=device.vim_id, tenant_id=device.tenant_id, cipher=get_cipher()
            )
    spec = spec_of(device, template, vim)
    return DeviceFlowState(
        ctx=ctx,
        driver=driver,
        spec=spec,
        device=device,
        timeout=get_settings().driver_timeout_seconds,
    )


class SpawnInstance(Task[DeviceFlowState]):
    """Ask the driver for an instance and record its id at once, so a crash cannot orphan it.
    A database blip while recording is retried here (the instance is not created again).

    ``record=False``: a driver that works in this process alone (``DeviceDriver.in_process``)
    leaves nothing a crash could orphan, and its caller records the instance with the device,
    in the one transaction the whole create runs in."""

    def __init__(self, *, record: bool = True) -> None:
        self._record = record

    async def execute(self, state: DeviceFlowState) -> None:
        if state.device.instance_id is not None:
            return  # resumed after a crash: the instance exists already
        instance_id = await asyncio.wait_for(state.driver.create(state.spec), state.timeout)
        state.device = replace(state.device, instance_id=instance_id)
        if self._record:
            await retrying(lambda: _record_instance(state), what="record the instance id")

    async def revert(self, state: DeviceFlowState) -> None:
        if state.device.instance_id is not None:
            await asyncio.wait_for(
                state.driver.delete(state.device.instance_id, state.spec), state.timeout
            )


async def _record_instance(state: DeviceFlowState) -> None:
    instance_id = state.device.instance_id
    if instance_id is None or state.ctx is None:
        raise RuntimeError("no instance to record, or no handler to record it in")
    async with state.ctx.transaction() as uow:
        await repo.record_instance(uow.conn, device_id=state.device.id, instance_id=instance_id)
        await uow.commit()


class WaitForInstance(Task[DeviceFlowState]):
    async def execute(self, state: DeviceFlowState) -> None:
        instance_id = state.device.instance_id
        if instance_id is None:
            raise RuntimeError("no instance to wait for")
        state.facts = await asyncio.wait_for(
            state.driver.wait_until_ready(instance_id, state.spec), state.timeout
        )


class UpdateInstance(Task[DeviceFlowState]):
    async def execute(self, state: DeviceFlowState) -> None:
        instance_id = state.device.instance_id
        if instance_id is not None:
            await asyncio.wait_for(state.driver.update(instance_id, state.spec), state.timeout)


class DeleteInstance(Task[DeviceFlowState]):
    async def execute(self, state: DeviceFlowState) -> None:
        instance_id = state.device.instance_id
        if instance_id is None:
            # Never recorded (a crash between boot and record): look it up by device id.
            instance_id = await asyncio.wait_for(
                state.driver.find_instance(state.spec), state.timeout
            )
        if instance_id is not None:
            await asyncio.wait_for(state.driver.delete(instance_id, state.spec), state.timeout)


CREATE_FLOW: tuple[Task[DeviceFlowState], ...] = (SpawnInstance(), WaitForInstance())
IN_PROCESS_CREATE_FLOW: tuple[Task[DeviceFlowState], ...] = (
    SpawnInstance(record=False),
    WaitForInstance(),
)
UPDATE_FLOW: tuple[Task[DeviceFlowState], ...] = (UpdateInstance(),)
DELETE_FLOW: tuple[Task[DeviceFlowState], ...] = (DeleteInstance(),)
