"""Devices and their state machine. Pure: no I/O, no framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from shared.contracts.models import DeviceSnapshot, DeviceStatus, ServiceContext

S = DeviceStatus

# Which status may follow which; anything else is a bug or a stale message.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_CREATE: frozenset({S.ACTIVE, S.ERROR}),
    S.ACTIVE: frozenset({S.PENDING_UPDATE, S.PENDING_DELETE, S.DEAD, S.ERROR}),
    S.PENDING_UPDATE: frozenset({S.ACTIVE, S.ERROR}),
    S.ERROR: frozenset({S.PENDING_DELETE}),
    # PENDING_UPDATE: replaced through its driver (a respawn after failed health checks).
    S.DEAD: frozenset({S.PENDING_DELETE, S.ACTIVE, S.PENDING_UPDATE}),
    S.PENDING_DELETE: frozenset({S.ERROR}),
}


class InvalidTransition(Exception):
    def __init__(self, device_id: uuid.UUID, current: str, wanted: str) -> None:
        super().__init__(f"device {device_id} cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


@dataclass(frozen=True)
class Device:
    id: uuid.UUID
    tenant_id: str
    template_id: uuid.UUID
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]
    status: str = S.PENDING_CREATE
    instance_id: str | None = None
    mgmt_address: str | None = None
    host: str | None = None
    availability_zone: str | None = None
    vim_id: uuid.UUID | None = None
    error_reason: str | None = None
    revision: int = 1
    previous_status: str | None = field(default=None, compare=False)

    def transition(self, status: str, *, error_reason: str | None = None, **changes: Any) -> Device:
        if status not in TRANSITIONS.get(self.status, frozenset()):
            raise InvalidTransition(self.id, self.status, status)
        return replace(
            self,
            status=status,
            error_reason=error_reason,
            revision=self.revision + 1,
            previous_status=self.status,
            **changes,
        )

    def can(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, frozenset())

    def snapshot(self) -> DeviceSnapshot:
        return DeviceSnapshot(
            id=self.id,
            tenant_id=self.tenant_id,
            template_id=self.template_id,
            instance_id=self.instance_id,
            mgmt_address=self.mgmt_address,
            kwargs=self.kwargs,
            service_contexts=self.service_contexts,
            status=self.status,
            error_reason=self.error_reason,
            revision=self.revision,
            host=self.host,
            availability_zone=self.availability_zone,
            vim_id=self.vim_id,
        )


def refusal_reason(wanted: str, status: str, earlier: str | None) -> str:
    """``update refused: the device was ERROR when it arrived`` (+ the earlier reason)."""
    verbs: dict[str, str] = {S.PENDING_UPDATE: "update", S.PENDING_DELETE: "delete"}
    verb = verbs.get(wanted, wanted)
    reason = f"{verb} refused: the device was {status} when it arrived"
    if earlier and " refused: " not in earlier:
        reason += f"; {earlier}"
    return reason
