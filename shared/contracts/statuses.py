"""The statuses of devices, service instances and VIMs, as in the blueprint."""

from __future__ import annotations


class DeviceStatus:
    """Device (and, until the instances' own class is used everywhere, service instance)
    statuses."""

    PENDING_CREATE = "PENDING_CREATE"
    ACTIVE = "ACTIVE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ERROR = "ERROR"
    DEAD = "DEAD"
    # Only in notifications: the driver confirmed the device is gone and its record removed.
    DELETED = "DELETED"

    ALL = (PENDING_CREATE, ACTIVE, PENDING_UPDATE, PENDING_DELETE, ERROR, DEAD)
    PENDING = (PENDING_CREATE, PENDING_UPDATE, PENDING_DELETE)
    UPDATABLE = (ACTIVE,)
    DELETABLE = (ACTIVE, ERROR, DEAD)


class ServiceInstanceStatus:
    """A service instance's statuses: the same words as a device's, kept apart so that the
    two can diverge (a StrEnum each, once every service uses its own)."""

    PENDING_CREATE = DeviceStatus.PENDING_CREATE
    ACTIVE = DeviceStatus.ACTIVE
    PENDING_UPDATE = DeviceStatus.PENDING_UPDATE
    PENDING_DELETE = DeviceStatus.PENDING_DELETE
    ERROR = DeviceStatus.ERROR
    DEAD = DeviceStatus.DEAD
    DELETED = DeviceStatus.DELETED

    ALL = DeviceStatus.ALL
    PENDING = DeviceStatus.PENDING
    UPDATABLE = DeviceStatus.UPDATABLE
    DELETABLE = DeviceStatus.DELETABLE


class VimStatus:
    PENDING = "PENDING"
    REACHABLE = "REACHABLE"
    UNREACHABLE = "UNREACHABLE"
