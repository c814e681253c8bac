"""Look up the payload model of an envelope by its type and version."""

from __future__ import annotations

from shared.contracts import commands, events, vnflcm, vnfpkgm
from shared.contracts.envelope import Envelope, Message

_MODELS: tuple[type[Message], ...] = (
    commands.CreateDeviceTemplate,
    commands.UpdateDeviceTemplate,
    commands.DeleteDeviceTemplate,
    commands.CreateDevice,
    commands.UpdateDevice,
    commands.DeleteDevice,
    commands.CreateServiceInstance,
    commands.UpdateServiceInstance,
    commands.DeleteServiceInstance,
    commands.RegisterVim,
    commands.UpdateVim,
    commands.DeleteVim,
    commands.CreateSubscription,
    commands.DeleteSubscription,
    commands.CreateLccnSubscription,
    commands.RedeliverNotifications,
    events.SubscriptionDeliveryStateChanged,
    events.DeviceTemplateCreated,
    events.DeviceTemplateUpdated,
    events.DeviceTemplateDeleted,
    events.DeviceStatusChanged,
    events.DeviceDeleted,
    events.DeviceSpawned,
    events.DeviceConfigured,
    events.DeviceHealthChanged,
    events.DeviceLost,
    events.DeviceMonitorsReported,
    events.ServiceInstanceStatusChanged,
    events.ServiceInstanceDeleted,
    events.ServiceInstancePlaced,
    events.ServiceInstanceReleasing,
    events.ServiceInstanceConfigured,
    events.ServiceInstanceUnconfigured,
    events.DeviceCapacityChanged,
    events.VimStatusChanged,
    vnflcm.RunVnfLcmOperation,
    vnflcm.VnfLcmOperationAction,
    vnflcm.OperateVnfc,
    vnflcm.VnfLcmOpOccChanged,
    vnflcm.VnfInstanceChanged,
    vnflcm.VnfIdentifierCreated,
    vnflcm.VnfIdentifierDeleted,
    vnflcm.VnfLcmOpOccStarted,
    vnfpkgm.OnboardVnfPackage,
)
MESSAGE_TYPES: dict[str, type[Message]] = {model.TYPE: model for model in _MODELS}


class UnknownMessage(ValueError):
    """The envelope names a type or version this code does not understand (a poison message)."""


def parse_payload(envelope: Envelope) -> Message:
    model = MESSAGE_TYPES.get(envelope.type)
    if model is None:
        raise UnknownMessage(f"unknown message type {envelope.type!r}")
    if envelope.version != model.VERSION:
        raise UnknownMessage(
            f"{envelope.type} version {envelope.version} not supported (expected {model.VERSION})"
        )
    return model.model_validate(envelope.payload)
