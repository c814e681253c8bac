"""Events: facts in the past tense, published on ``servicevm.events`` for whoever cares."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, Self

from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from shared.contracts.envelope import Message
from shared.contracts.models import (
    DeviceSnapshot,
    DeviceTemplateSnapshot,
    ServiceInstanceSnapshot,
)


class Event(Message):
    KIND: ClassVar[str] = "events"


class _State(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def revision(self) -> int: ...


def check_passed(passed: Sequence[_State], last: _State) -> None:
    """The states a message names before its last one (``passed``) are that resource's,
    each at a lower revision than the next."""
    if any(state.id != last.id for state in passed):
        raise ValueError("passed holds another resource's state")
    if any(a.revision >= b.revision for a, b in itertools.pairwise([*passed, last])):
        raise ValueError("passed: each state's revision must be below the next one's")


class _TemplateEvent(Event):
    template: DeviceTemplateSnapshot

    @property
    def subject_id(self) -> str:
        return str(self.template.id)


class _DeviceStateEvent(Event):
    device: DeviceSnapshot

    @property
    def subject_id(self) -> str:
        return str(self.device.id)

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (str(self.device.template_id),)


class _DeviceStepEvent(Event):
    device_id: uuid.UUID

    @property
    def subject_id(self) -> str:
        return str(self.device_id)


class DeviceTemplateCreated(_TemplateEvent):
    TYPE: ClassVar[str] = "device_template.created"


class DeviceTemplateUpdated(_TemplateEvent):
    TYPE: ClassVar[str] = "device_template.updated"


class DeviceTemplateDeleted(_TemplateEvent):
    TYPE: ClassVar[str] = "device_template.deleted"


# "respawn": the device was replaced after its health checks failed (same template, kwargs,
# VIM; a new instance): mgmt re-applies its configuration and its service instances.
Operation = Literal["create", "update", "respawn"]


class DeviceSpawned(_DeviceStepEvent):
    """The device driver has the instance running; it now needs its configuration."""

    TYPE: ClassVar[str] = "device.spawned"

    tenant_id: str
    operation: Operation
    mgmt_driver: str
    mgmt_address: str | None
    template_attributes: dict[str, str]
    kwargs: dict[str, Any]
    # False when the driver has nothing to configure (``mgmt_drivers``): lifecycle made the
    # device ACTIVE in the same transaction; mgmt only records the device and answers nothing.
    configure: bool = True


class DeviceStatusChanged(_DeviceStateEvent):
    TYPE: ClassVar[str] = "device.status_changed"

    # The status before this message's first change (None: the device is new).
    previous_status: str | None
    # The states the device entered and left in the transaction that ends at ``device``,
    # oldest first: a create by an in-process driver is PENDING_CREATE then ACTIVE (or
    # ERROR) in one message, not two, so each consumer of devices handles one message and
    # runs one transaction for it. Projections take ``device`` (the first of ``changes``
    # tells them whether the message adds the device); whoever announces every change
    # (mgmt's notifications) takes each of ``changes`` in turn. Absent from the payload
    # when empty, as ``spawned``.
    passed: list[DeviceSnapshot] = Field(default_factory=list)
    # A device created with nothing to configure, which lifecycle made ACTIVE itself, may
    # carry here the device.spawned mgmt would otherwise get as a message of its own: mgmt
    # records the device with this change's notification (one message and transaction,
    # not two). A create only: the device is new, so mgmt needs no lease to record it.
    # Absent from the payload when None: the event is unchanged for everyone else.
    spawned: DeviceSpawned | None = None

    @property
    def first(self) -> DeviceSnapshot:
        """The first state this message announces: PENDING_CREATE for a new device."""
        return self.passed[0] if self.passed else self.device

    def changes(self) -> list[tuple[DeviceSnapshot, str | None]]:
        """Each state this message announces with the status it replaced, oldest first."""
        states = [*self.passed, self.device]
        previous = [self.previous_status, *(state.status for state in states[:-1])]
        return list(zip(states, previous, strict=True))

    @model_validator(mode="after")
    def _passed_leads_to_device(self) -> Self:
        check_passed(self.passed, self.device)
        return self

    @model_validator(mode="after")
    def _spawned_is_a_create_with_nothing_to_configure(self) -> Self:
        spawned = self.spawned
        if spawned is None:
            return self
        if spawned.device_id != self.device.id:
            raise ValueError("spawned is about another device")
        if spawned.operation != "create" or spawned.configure:
            raise ValueError("spawned: only a create with nothing to configure")
        return self

    @model_serializer(mode="wrap")
    def _without_absent_fields(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = serialize(self)
        if self.spawned is None:
            data.pop("spawned", None)
        if not self.passed:
            data.pop("passed", None)
        return data


class DeviceDeleted(_DeviceStateEvent):
    """The driver confirmed the device is gone; its record is removed."""

    TYPE: ClassVar[str] = "device.deleted"

    previous_status: str


class DeviceLost(_DeviceStateEvent):
    """The device is DEAD and will not be replaced (its policy does not respawn, it is a
    physical device, or its template's respawns are used up), or its respawn failed (then
    ERROR): the scheduler moves the service instances it hosts when their template says
    ``reschedule_on_device_loss``."""

    TYPE: ClassVar[str] = "device.lost"

    reason: str


class DeviceConfigured(_DeviceStepEvent):
    """mgmt applied (or failed to apply) the configuration of a spawned device."""

    TYPE: ClassVar[str] = "device.configured"

    operation: Operation
    succeeded: bool
    reason: str | None = None


class MonitorReport(BaseModel):
    """One monitor of a device, as its last probe left it."""

    monitor: str
    last_probe_at: datetime | None
    ok: bool | None
    consecutive_failures: int
    healthy: bool
    last_error: str | None = None
    latency_seconds: float | None = None


class DeviceHealthChanged(_DeviceStepEvent):
    """mgmt's monitors found the device unhealthy (``monitor`` failed ``threshold`` times in
    a row, with ``last_error``), or healthy again."""

    TYPE: ClassVar[str] = "device.health_changed"

    tenant_id: str
    healthy: bool
    monitor: str | None = None
    last_error: str | None = None


class DeviceMonitorsReported(_DeviceStepEvent):
    """A monitor's result or failure count changed: every monitor's state, for the views.
    A steadily healthy device sends none."""

    TYPE: ClassVar[str] = "device.monitors_reported"

    tenant_id: str
    healthy: bool
    monitors: list[MonitorReport]


# --- service instances -------------------------------------------------------------------


class _InstanceStateEvent(Event):
    instance: ServiceInstanceSnapshot

    @property
    def subject_id(self) -> str:
        return str(self.instance.id)


class _InstanceStepEvent(Event):
    instance_id: uuid.UUID

    @property
    def subject_id(self) -> str:
        return str(self.instance_id)


class ServiceInstancePlaced(_InstanceStepEvent):
    """The scheduler reserved slots on these devices; mgmt now configures the instance there."""

    TYPE: ClassVar[str] = "service_instance.placed"

    tenant_id: str
    operation: Operation
    # The instance's own management driver, or None to use each device's.
    mgmt_driver: str | None
    devices: list[uuid.UUID]
    configuration: dict[str, Any]

    @property
    def depends_on(self) -> tuple[str, ...]:
        # A device lifecycle made ACTIVE itself reaches mgmt (as DeviceSpawned) just ahead of
        # its status change: mgmt records it before configuring anything on it.
        return tuple(str(device) for device in self.devices)


class ServiceInstanceStatusChanged(_InstanceStateEvent):
    """A new snapshot of the instance (its status or its devices changed)."""

    TYPE: ClassVar[str] = "service_instance.status_changed"

    # The status before this message's first change (None: the instance is new).
    previous_status: str | None
    # The states the instance entered and left in the transaction that ends at
    # ``instance``, oldest first, as ``DeviceStatusChanged.passed``: a new instance placed
    # where its management driver configures nothing is PENDING_CREATE, then ACTIVE, in one
    # message (an update there, PENDING_UPDATE then ACTIVE). Absent from the payload when
    # empty.
    passed: list[ServiceInstanceSnapshot] = Field(default_factory=list)
    # That placement (a create's, or an update's new configuration), when the scheduler
    # made the instance ACTIVE itself: mgmt records where the instance is hosted and how
    # with this change's notifications, and configures nothing
    # (``mgmt_drivers.needs_service_configuration``), instead of a message of its own and a
    # ``service_instance.configured`` answer. Absent from the payload when None.
    placed: ServiceInstancePlaced | None = None

    @property
    def first(self) -> ServiceInstanceSnapshot:
        return self.passed[0] if self.passed else self.instance

    def changes(self) -> list[tuple[ServiceInstanceSnapshot, str | None]]:
        """Each state this message announces with the status it replaced, oldest first."""
        states = [*self.passed, self.instance]
        previous = [self.previous_status, *(state.status for state in states[:-1])]
        return list(zip(states, previous, strict=True))

    @model_validator(mode="after")
    def _passed_leads_to_instance(self) -> Self:
        check_passed(self.passed, self.instance)
        return self

    @model_validator(mode="after")
    def _placed_is_made_active(self) -> Self:
        placed = self.placed
        if placed is None:
            return self
        if placed.instance_id != self.instance.id:
            raise ValueError("placed is about another instance")
        if placed.operation not in ("create", "update") or self.instance.status != "ACTIVE":
            raise ValueError("placed: only a create or an update the scheduler made ACTIVE")
        if placed.devices != self.instance.devices:
            raise ValueError("placed: the instance's devices")
        return self

    @model_serializer(mode="wrap")
    def _without_absent_fields(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = serialize(self)
        if self.placed is None:
            data.pop("placed", None)
        if not self.passed:
            data.pop("passed", None)
        return data


class ServiceInstanceDeleted(_InstanceStateEvent):
    """Its configuration is removed and its slots are free; its record is gone."""

    TYPE: ClassVar[str] = "service_instance.deleted"

    previous_status: str


class ServiceInstanceReleasing(_InstanceStepEvent):
    """The instance is being deleted: mgmt removes its configuration from these devices."""

    TYPE: ClassVar[str] = "service_instance.releasing"

    tenant_id: str
    mgmt_driver: str | None
    devices: list[uuid.UUID]


class ServiceInstanceConfigured(_InstanceStepEvent):
    """mgmt applied (or failed to apply) the instance's configuration on its devices."""

    TYPE: ClassVar[str] = "service_instance.configured"

    operation: Operation
    succeeded: bool
    reason: str | None = None


class ServiceInstanceUnconfigured(_InstanceStepEvent):
    """mgmt removed (or failed to remove) the instance's configuration from its devices."""

    TYPE: ClassVar[str] = "service_instance.unconfigured"

    succeeded: bool
    reason: str | None = None


class DeviceCapacityChanged(_DeviceStepEvent):
    """The slots reserved on a device, and the instances holding them, changed."""

    TYPE: ClassVar[str] = "device.capacity_changed"

    tenant_id: str
    template_id: uuid.UUID
    slot_capacity: int
    slots_used: int
    services: list[uuid.UUID]
    # Increases at every allocation change of this device; older ones are ignored.
    capacity_revision: int


# --- VIMs --------------------------------------------------------------------------------


class VimStatusChanged(Event):
    """lifecycle checked a VIM: REACHABLE, or UNREACHABLE with the reason. No secrets."""

    TYPE: ClassVar[str] = "vim.status_changed"

    vim_id: uuid.UUID
    tenant_id: str
    status: str
    status_reason: str | None
    # Increases at every check; a view ignores a status older than the one it holds.
    revision: int

    @property
    def subject_id(self) -> str:
        return str(self.vim_id)


# --- subscriptions -----------------------------------------------------------------------


UNDELIVERABLE_SHOWN = 20


class SubscriptionDeliveryStateChanged(Event):
    """mgmt's deliveries to one subscription: how many wait (``pending``), how many were
    given up (``undeliverable``, an admin may re-send them), since when the oldest waits,
    and the last error. Sent when it changed, at most every ``delivery_state_seconds``."""

    TYPE: ClassVar[str] = "subscription.delivery_state_changed"

    subscription_id: uuid.UUID
    tenant_id: str
    pending: int
    undeliverable: int
    oldest_undelivered_at: datetime | None
    last_error: str | None
    # The ids of the oldest given-up notifications (at most UNDELIVERABLE_SHOWN).
    undeliverable_ids: list[uuid.UUID] = Field(default_factory=list)
    # Increases at every report; a view ignores an older one.
    revision: int

    @property
    def subject_id(self) -> str:
        return str(self.subscription_id)
