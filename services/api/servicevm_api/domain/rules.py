"""What a client may ask of a device or a service instance in its current status. Pure."""

from __future__ import annotations

from shared.contracts.models import DeviceStatus, ServiceInstanceStatus


def update_refusal(status: str) -> str | None:
    """Why the device cannot be updated now, or None if it can."""
    if status in DeviceStatus.UPDATABLE:
        return None
    return (
        f"it is {status}; a device can be updated only when {' or '.join(DeviceStatus.UPDATABLE)}"
    )


def delete_refusal(status: str) -> str | None:
    """Why the device cannot be deleted now, or None if it can."""
    if status in DeviceStatus.DELETABLE:
        return None
    return f"it is {status}; wait until its current operation ends"


def instance_update_refusal(status: str, *, managed_by_user: bool) -> str | None:
    """Why the service instance cannot be updated now (a sentence's end), or None."""
    if not managed_by_user:
        return "is managed by another service (managed_by_user is false); it cannot be updated"
    if status != ServiceInstanceStatus.ACTIVE:
        return f"cannot be updated: it is {status}; an instance can be updated only when ACTIVE"
    return None


def instance_delete_refusal(status: str, *, placed: bool) -> str | None:
    """Why the service instance cannot be deleted now, or None if it can. One still waiting
    for room (not placed yet) may be withdrawn."""
    if status in ServiceInstanceStatus.DELETABLE:
        return None
    if status == ServiceInstanceStatus.PENDING_CREATE and not placed:
        return None
    return f"it is {status}; wait until its current operation ends"
