"""What a client may ask of a device in its current status. Pure."""

from __future__ import annotations

from shared.contracts.models import DeviceStatus


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
