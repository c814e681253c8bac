"""The statuses of devices, service instances and VIMs, as in the blueprint.

Each is a ``StrEnum``: a member is its value (``DeviceStatus.ACTIVE == "ACTIVE"``), so it goes
into SQL, logs and JSON as the plain word. The groups (``ALL``, ``PENDING``, ...) are tuples
of their values, not members themselves.
"""

from __future__ import annotations

import enum


class _ResourceStatus(enum.StrEnum):
    """What devices and service instances share: their groups of statuses, in the
    blueprint's order. No members of its own (an enum with members cannot be subclassed);
    ``nonmember`` keeps the groups out of the subclasses' members. A resource whose
    lifecycle diverges overrides a group in its own class."""

    ALL = enum.nonmember(
        ("PENDING_CREATE", "ACTIVE", "PENDING_UPDATE", "PENDING_DELETE", "ERROR", "DEAD")
    )
    PENDING = enum.nonmember(("PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE"))
    UPDATABLE = enum.nonmember(("ACTIVE",))
    DELETABLE = enum.nonmember(("ACTIVE", "ERROR", "DEAD"))


class DeviceStatus(_ResourceStatus):
    PENDING_CREATE = "PENDING_CREATE"
    ACTIVE = "ACTIVE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ERROR = "ERROR"
    DEAD = "DEAD"
    # Only in notifications: the driver confirmed the device is gone and its record removed.
    DELETED = "DELETED"


class ServiceInstanceStatus(_ResourceStatus):
    """A service instance's statuses: the same words as a device's today, kept apart so that
    the two can diverge."""

    PENDING_CREATE = "PENDING_CREATE"
    ACTIVE = "ACTIVE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ERROR = "ERROR"
    DEAD = "DEAD"
    # Only in notifications: the instance is gone.
    DELETED = "DELETED"


class VimStatus:
    PENDING = "PENDING"
    REACHABLE = "REACHABLE"
    UNREACHABLE = "UNREACHABLE"
