"""Devices whose driver works in this process alone (``DeviceDriver.in_process``): built
inside the caller's transaction, and what a built device announces.

Used by the device create handler and by a VNF op's CREATE steps, which build such a
VNFC where the op runs instead of sending lifecycle a command to build it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.flows.device_tasks import (
    IN_PROCESS_CREATE_FLOW,
    DeviceFlowState,
    flow_state,
)
from servicevm_lifecycle.vims.credentials import NoVim
from shared.contracts import events
from shared.contracts.events import Operation
from shared.contracts.mgmt_drivers import needs_configuration
from shared.contracts.models import DeviceStatus, DeviceTemplateSnapshot
from shared.db.uow import UnitOfWork
from shared.flows import FlowFailed, run_flow
from shared.messaging.dispatch import HandlerContext
from shared.observability.metrics import timed_device_operation
from shared.plugins import PluginNotFound

S = DeviceStatus
log = logging.getLogger(__name__)


def in_process(template: DeviceTemplateSnapshot) -> bool:
    """Whether the template's device driver works in this process alone: its devices are
    created in one transaction, as there is nothing outside the database that a crash
    between the steps could orphan."""
    try:
        driver = get_device_driver(template.device_driver)
    except PluginNotFound:
        return False
    return driver.in_process(template.attributes) and not driver.needs_vim


@dataclass(frozen=True)
class Built:
    """A device after its in-process driver ran: its new state, and what mgmt is told."""

    device: Device
    spawned: events.DeviceSpawned | None


async def build(
    device: Device, template: DeviceTemplateSnapshot, ctx: HandlerContext | None = None
) -> Built:
    """Run the in-process driver's create; a failure leaves the device in ERROR with the
    reason. ``ctx``: the handler's, when there is one (an in-process driver records nothing
    in transactions of its own, so none is needed)."""
    try:
        driver = get_device_driver(template.device_driver)
        state = await flow_state(ctx, driver, device, template)
        with timed_device_operation(template.device_driver, "create"):
            await run_flow(IN_PROCESS_CREATE_FLOW, state)
    except (FlowFailed, PluginNotFound, NoVim) as exc:
        reason = f"create failed: {failure_reason(exc)}"
        log.warning(
            "device operation failed", extra={"device_id": str(device.id), "reason": reason}
        )
        return Built(device.transition(S.ERROR, error_reason=reason), None)
    built, spawned = spawned_device(device, template, state, operation="create")
    return Built(built, spawned)


async def announce_built(uow: UnitOfWork, built: Built, *, created: Device | None = None) -> None:
    """Announce what the driver step did (the device row is written already): mgmt's
    DeviceSpawned, then the status change unless the device waits for its configuration.
    ``created``: the new device as it began in this transaction (PENDING_CREATE), announced
    first: in the same message as the status the driver left it in, when it has one."""
    spawned = built.spawned
    rides = spawned is not None and rides_on_status(spawned)
    waits = built.device.status == S.PENDING_CREATE
    if created is not None and waits:
        await announce(uow, created)
    if spawned is not None and not rides:
        await uow.publish(spawned, tenant_id=built.device.tenant_id)
    if not waits:
        passed = [created] if created is not None else []
        await announce(uow, built.device, spawned=spawned if rides else None, passed=passed)


def rides_on_status(spawned: events.DeviceSpawned) -> bool:
    """Whether mgmt hears of the spawned device with its status change (ACTIVE already)
    rather than in a message of its own: a create with nothing to configure
    (``DeviceStatusChanged.spawned``), one message and one mgmt transaction fewer."""
    return spawned.operation == "create" and not spawned.configure


def spawned_device(
    current: Device,
    template: DeviceTemplateSnapshot,
    state: DeviceFlowState,
    *,
    operation: Operation,
) -> tuple[Device, events.DeviceSpawned]:
    """The device once its driver step is done (with what the driver found; ACTIVE when its
    mgmt driver has nothing to configure), and the event that tells mgmt. mgmt hears of the
    device ahead of its status change, so its notifications keep their order."""
    facts = state.facts
    configure = needs_configuration(template.mgmt_driver, template.attributes)
    if facts is not None:
        current = replace(
            current,
            instance_id=state.device.instance_id,
            mgmt_address=facts.mgmt_address,
            host=facts.host,
            availability_zone=facts.availability_zone,
        )
    spawned = events.DeviceSpawned(
        device_id=current.id,
        tenant_id=current.tenant_id,
        operation=operation,
        mgmt_driver=template.mgmt_driver,
        mgmt_address=current.mgmt_address,
        template_attributes=template.attributes,
        kwargs=current.kwargs,
        configure=configure,
    )
    return (current if configure else current.transition(S.ACTIVE)), spawned


async def announce(
    uow: UnitOfWork,
    device: Device,
    *,
    spawned: events.DeviceSpawned | None = None,
    passed: list[Device] | None = None,
) -> None:
    """The device's status change, as every consumer of devices hears of it. ``passed``:
    the states it went through before ``device`` in this transaction, oldest first, none of
    them announced yet (``DeviceStatusChanged.passed``: one message for all of them)."""
    passed = passed or []
    for state in (*passed, device):
        log.info(
            "device status changed",
            extra={
                "device_id": str(state.id),
                "status": state.status,
                "previous_status": state.previous_status,
                "revision": state.revision,
            },
        )
    previous_status = passed[0].previous_status if passed else device.previous_status
    await uow.publish(
        events.DeviceStatusChanged(
            device=device.snapshot(),
            previous_status=previous_status,
            passed=[state.snapshot() for state in passed],
            spawned=spawned,
        ),
        tenant_id=device.tenant_id,
    )


def failure_reason(exc: Exception) -> str:
    if isinstance(exc, NoVim):
        return f"no VIM: {exc}"
    return exc.reason if isinstance(exc, FlowFailed) else str(exc)
