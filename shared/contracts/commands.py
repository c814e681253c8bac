"""Commands: orders addressed to one service. Routing key ``<service>.<order>``."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from shared.contracts.envelope import Message
from shared.contracts.models import ServiceContext, ServiceTypeRef


class Command(Message):
    KIND: ClassVar[str] = "commands"

    id: uuid.UUID

    @property
    def subject_id(self) -> str:
        return str(self.id)


class CreateDeviceTemplate(Command):
    TYPE: ClassVar[str] = "lifecycle.create_device_template"

    tenant_id: str
    name: str
    description: str
    device_driver: str
    mgmt_driver: str
    service_types: list[ServiceTypeRef]
    attributes: dict[str, str]


class UpdateDeviceTemplate(Command):
    TYPE: ClassVar[str] = "lifecycle.update_device_template"

    name: str
    description: str


class DeleteDeviceTemplate(Command):
    TYPE: ClassVar[str] = "lifecycle.delete_device_template"


class CreateDevice(Command):
    TYPE: ClassVar[str] = "lifecycle.create_device"

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (str(self.template_id),)

    tenant_id: str
    template_id: uuid.UUID
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]


class UpdateDevice(Command):
    TYPE: ClassVar[str] = "lifecycle.update_device"

    kwargs: dict[str, Any]


class DeleteDevice(Command):
    TYPE: ClassVar[str] = "lifecycle.delete_device"


class CreateServiceInstance(Command):
    TYPE: ClassVar[str] = "scheduler.create_service_instance"

    tenant_id: str
    name: str
    service_type_id: uuid.UUID
    service_table_id: str | None
    mgmt_driver: str | None
    mgmt_address: str | None
    service_contexts: list[ServiceContext]
    # Devices the client asked for; the scheduler honours them or says why not.
    devices: list[uuid.UUID]
    kwargs: dict[str, Any]
    managed_by_user: bool


class UpdateServiceInstance(Command):
    TYPE: ClassVar[str] = "scheduler.update_service_instance"

    name: str
    kwargs: dict[str, Any]


class DeleteServiceInstance(Command):
    TYPE: ClassVar[str] = "scheduler.delete_service_instance"
