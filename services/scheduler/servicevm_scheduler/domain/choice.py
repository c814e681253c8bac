"""Which devices may host an instance, which one is preferred, and why none fits. Pure.

The repository's device pick (``adapters/slots.py``) applies ``fits`` and ``preference``
in SQL, over all the devices of a template at once; they are written here so the rule has
one statement that fakes and tests can use.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.pool import PoolState
from servicevm_scheduler.domain.projection import Device, Template
from shared.contracts.mgmt_drivers import needs_service_configuration, needs_service_removal
from shared.contracts.statuses import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy


@dataclass(frozen=True)
class Pick:
    """One device pick: the device wanted and what rules it out."""

    template_id: uuid.UUID
    slots: int
    tenant_id: str
    policy: TemplatePolicy
    exclude_devices: Sequence[uuid.UUID] = ()
    # Anti-affinity: None means no rule; a list (even empty) also rules out unknown hosts.
    exclude_hosts: Sequence[str] | None = None


@dataclass(frozen=True)
class Choice:
    """Devices chosen for an instance (with the slots each must give), or why there are none."""

    devices: list[tuple[Device, int, TemplatePolicy]] = field(default_factory=list)
    refusal: str | None = None
    # The refusal may pass: a requested device is still being created (see ``coming``).
    wait: bool = False


def through_mgmt(
    instance: ServiceInstance, template: Template | None, *, removing: bool = False
) -> bool:
    """Whether the instance goes through mgmt, which configures it on its devices
    (``apply_service``; ``removing``: ``remove_service``) before it is ACTIVE (deleted):
    unless its management driver (its own, else its template's devices') does nothing for
    that step, when the scheduler goes on at once. A template, or a template's driver, the
    scheduler does not know goes through mgmt."""
    driver = instance.mgmt_driver or (template.mgmt_driver if template is not None else None)
    if template is None or driver is None:
        return True
    if removing:
        return needs_service_removal(driver, template.attributes)
    return needs_service_configuration(driver, template.attributes)


def fits(device: Device, pick: Pick) -> bool:
    """An ACTIVE device of the template with room, open to the project, not ruled out."""
    if device.template_id != pick.template_id or device.status != DeviceStatus.ACTIVE:
        return False
    if device.free_slots < pick.slots or device.id in pick.exclude_devices:
        return False
    if pick.policy.tenant_bound and device.bound_tenant not in (None, pick.tenant_id):
        return False
    if pick.exclude_hosts is not None:
        return device.host is not None and device.host not in pick.exclude_hosts
    return True


def preference(device: Device, policy: TemplatePolicy) -> tuple[int, uuid.UUID]:
    """Sort key, best first: fullest first (pack) or emptiest first (spread), then by id."""
    free = device.free_slots
    return (free if policy.placement == "pack" else -free, device.id)


def best(devices: Iterable[Device], pick: Pick) -> Device | None:
    candidates = [device for device in devices if fits(device, pick)]
    return min(candidates, key=lambda d: preference(d, pick.policy), default=None)


def oversized(template: Template, service_type: str) -> str | None:
    """Why no device of the template can ever host the service type, if none can."""
    policy = template.policy
    need = policy.slots_for(service_type)
    if need <= policy.slot_capacity:
        return None
    return (
        f"service type {service_type} needs {need} slot(s) but a device of template "
        f"{template.id} has only {policy.slot_capacity}"
    )


def not_found(template_id: uuid.UUID, need: int, ha: bool, found: int, wanted: int) -> str:
    if not ha:
        return f"no ACTIVE device of template {template_id} has {need} free slot(s)"
    return (
        f"HA needs {wanted} ACTIVE devices of template {template_id} on different known hosts "
        f"with {need} free slot(s) each; found {found}"
    )


def no_room(refusal: str, template: Template, state: PoolState) -> str:
    max_devices = template.policy.max_devices
    if max_devices is None:
        growth = f"template {template.id} sets no max_devices, so the pool cannot grow"
    else:
        growth = (
            f"the pool of template {template.id} is at its max_devices ({max_devices}) "
            f"with {state.pending_devices} device(s) being created for earlier requests"
        )
        if state.failed_devices:
            growth += f" and {state.failed_devices} in ERROR (delete them to make room)"
    return f"no room: {refusal}, and {growth}"


def coming(device_id: uuid.UUID, device: Device | None) -> str | None:
    """Why a device the client named cannot host anything yet, if it is still being created:
    not yet known to the scheduler (its first event is on its way) or PENDING_CREATE. The
    instance waits for it as an unplaced one waits for room."""
    if device is None:
        return f"requested device {device_id} is not known to the scheduler yet"
    if device.status == DeviceStatus.PENDING_CREATE:
        return f"requested device {device_id} is {device.status}"
    return None


def requested_refusal(
    device: Device,
    instance: ServiceInstance,
    *,
    service_type: str,
    offered: bool,
    policy: TemplatePolicy,
) -> str | None:
    """Why a device the client named cannot host the instance, if it cannot."""
    name = f"requested device {device.id}"
    need = policy.slots_for(service_type)
    if not offered:
        return f"{name}'s template does not offer service type {service_type}"
    if device.status != DeviceStatus.ACTIVE:
        return f"{name} is {device.status}, not ACTIVE"
    if device.free_slots < need:
        return f"{name} has {device.free_slots} free slot(s); {service_type} needs {need}"
    if policy.tenant_bound and device.bound_tenant not in (None, instance.tenant_id):
        return f"{name} is bound to another project"
    return None


def ha_host_refusal(device: Device, hosts: set[str]) -> str | None:
    """For an HA instance: each requested device must be on a known host of its own."""
    if device.host is None or device.host in hosts:
        return (
            f"HA needs devices on different known hosts; requested device {device.id} "
            f"is on host {device.host}"
        )
    return None
