"""Commands: orders addressed to one service. Routing key ``<service>.<order>``."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from shared.contracts.envelope import Message
from shared.contracts.fields import Owned
from shared.contracts.models import (
    DeviceTemplateFields,
    LccnSubscriptionSpec,
    SubscriptionSpec,
    VimSpec,
)
from shared.contracts.resources import DeviceRequest, ServiceInstanceRequest


class Command(Message):
    KIND: ClassVar[str] = "commands"

    id: uuid.UUID

    @property
    def subject_id(self) -> str:
        return str(self.id)


class CreateDeviceTemplate(DeviceTemplateFields, Command):
    TYPE: ClassVar[str] = "lifecycle.create_device_template"

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (str(self.vim_id),) if self.vim_id is not None else ()


class UpdateDeviceTemplate(Command):
    TYPE: ClassVar[str] = "lifecycle.update_device_template"

    name: str
    description: str


class DeleteDeviceTemplate(Command):
    TYPE: ClassVar[str] = "lifecycle.delete_device_template"


class CreateDevice(DeviceRequest, Owned, Command):
    """vim_id: the VIM the client chose; None: the template's, else the project's default."""

    TYPE: ClassVar[str] = "lifecycle.create_device"

    @property
    def depends_on(self) -> tuple[str, ...]:
        vim = (str(self.vim_id),) if self.vim_id is not None else ()
        return (str(self.template_id), *vim)


class UpdateDevice(Command):
    TYPE: ClassVar[str] = "lifecycle.update_device"

    kwargs: dict[str, Any]


class DeleteDevice(Command):
    TYPE: ClassVar[str] = "lifecycle.delete_device"


class RegisterVim(Command):
    """Record the VIM and check it (Keystone authentication and catalog)."""

    TYPE: ClassVar[str] = "lifecycle.register_vim"

    vim: VimSpec


class UpdateVim(Command):
    """New name, description or default flag, and maybe a new secret: the VIM is re-checked."""

    TYPE: ClassVar[str] = "lifecycle.update_vim"

    name: str
    description: str
    is_default: bool
    # A Fernet token of the new password or application credential secret; None: unchanged.
    encrypted_secret: str | None = None


class DeleteVim(Command):
    TYPE: ClassVar[str] = "lifecycle.delete_vim"


class CreateServiceInstance(ServiceInstanceRequest, Owned, Command):
    """devices: those the client asked for; the scheduler honours them or says why not."""

    TYPE: ClassVar[str] = "scheduler.create_service_instance"


class UpdateServiceInstance(Command):
    TYPE: ClassVar[str] = "scheduler.update_service_instance"

    name: str
    kwargs: dict[str, Any]


class DeleteServiceInstance(Command):
    TYPE: ClassVar[str] = "scheduler.delete_service_instance"


class CreateSubscription(Command):
    """Start sending the matching notifications to a callback URI."""

    TYPE: ClassVar[str] = "mgmt.create_subscription"

    subscription: SubscriptionSpec


class DeleteSubscription(Command):
    """Stop: the subscription and its undelivered notifications are dropped."""

    TYPE: ClassVar[str] = "mgmt.delete_subscription"


class CreateLccnSubscription(Command):
    """Start sending the SOL003 notifications that pass the filter to a callback URI."""

    TYPE: ClassVar[str] = "mgmt.create_lccn_subscription"

    subscription: LccnSubscriptionSpec


class RedeliverNotifications(Command):
    """An admin's order: send again, in order, the notifications of subscription ``id``
    that were given up (past the retry window, or refused by the callback)."""

    TYPE: ClassVar[str] = "mgmt.redeliver_notifications"
