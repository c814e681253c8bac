"""The statuses of devices, service instances and VIMs, as in the blueprint.

Each is a ``StrEnum``: a member is its value (``DeviceStatus.ACTIVE == "ACTIVE"``), so it goes
into SQL, logs and JSON as the plain word. The groups (``ALL``, ``PENDING``, ...) are tuples
of their values, not members themselves.
"""

from __future__ import annotations

import enum


class DeviceStatus(enum.StrEnum):
    PENDING_CREATE = "PENDING_CREATE"
    ACTIVE = "ACTIVE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ERROR = "ERROR"
    DEAD = "DEAD"
    # Only in notifications: the driver confirmed the device is gone and its record removed.
    DELETED = "DELETED"

    # The groups, in the blueprint's order. ``nonmember`` keeps them out of the members; in
    # the class body the names above are still their plain values, hence tuples of str.
    ALL = enum.nonmember((PENDING_CREATE, ACTIVE, PENDING_UPDATE, PENDING_DELETE, ERROR, DEAD))
    PENDING = enum.nonmember((PENDING_CREATE, PENDING_UPDATE, PENDING_DELETE))
    UPDATABLE = enum.nonmember((ACTIVE,))
    DELETABLE = enum.nonmember((ACTIVE, ERROR, DEAD))


class ServiceInstanceStatus(enum.StrEnum):
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

    # The groups, in the blueprint's order. ``nonmember`` keeps them out of the members; in
    # the class body the names above are still their plain values, hence tuples of str.
    ALL = enum.nonmember((PENDING_CREATE, ACTIVE, PENDING_UPDATE, PENDING_DELETE, ERROR, DEAD))
    PENDING = enum.nonmember((PENDING_CREATE, PENDING_UPDATE, PENDING_DELETE))
    UPDATABLE = enum.nonmember((ACTIVE,))
    DELETABLE = enum.nonmember((ACTIVE, ERROR, DEAD))


class VimStatus:
    PENDING = "PENDING"
    REACHABLE = "REACHABLE"
    UNREACHABLE = "UNREACHABLE"
