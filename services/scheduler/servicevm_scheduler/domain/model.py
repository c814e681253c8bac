"""Service instances and their state machine. Pure: no I/O, no framework."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from shared.contracts.models import DeviceStatus, ServiceContext, ServiceInstanceSnapshot

S = DeviceStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    # A waiting (unplaced) instance may be deleted before it is ever placed.
    S.PENDING_CREATE: frozenset({S.ACTIVE, S.ERROR, S.PENDING_DELETE}),
    S.ACTIVE: frozenset({S.PENDING_UPDATE, S.PENDING_DELETE, S.ERROR}),
    S.PENDING_UPDATE: frozenset({S.ACTIVE, S.ERROR, S.PENDING_DELETE}),
    S.ERROR: frozenset({S.PENDING_DELETE}),
    S.PENDING_DELETE: frozenset({S.ERROR}),
}


@dataclass(frozen=True)
class ServiceInstance:
    id: uuid.UUID
    tenant_id: str
    name: str
    service_type_id: uuid.UUID
    service_table_id: str | None
    mgmt_driver: str | None
    mgmt_address: str | None
    service_contexts: list[ServiceContext]
    requested_devices: list[uuid.UUID]
    kwargs: dict[str, Any]
    managed_by_user: bool
    status: str = S.PENDING_CREATE
    error_reason: str | None = None
    devices: list[uuid.UUID] = field(default_factory=list)
    revision: int = 1
    previous_status: str | None = field(default=None, compare=False)

    @property
    def ha(self) -> bool:
        """An HA instance gets two bindings on devices on different hosts."""
        return self.kwargs.get("ha") is True

    @property
    def bindings_wanted(self) -> int:
        return 2 if self.ha else 1

    def can(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, frozenset())

    def transition(
        self, status: str, *, error_reason: str | None = None, **changes: Any
    ) -> ServiceInstance:
        if not self.can(status):
            raise ValueError(f"service instance {self.id} cannot go from {self.status} to {status}")
        return replace(
            self,
            status=status,
            error_reason=error_reason,
            revision=self.revision + 1,
            previous_status=self.status,
            **changes,
        )

    def changed(self, **changes: Any) -> ServiceInstance:
        """A new revision with the same status (its devices or fields changed). A transition
        not yet announced keeps its previous status, so the announcement still shows it."""
        previous = self.previous_status if self.previous_status is not None else self.status
        return replace(self, revision=self.revision + 1, previous_status=previous, **changes)

    def configuration(self, service_type: str) -> dict[str, Any]:
        """What mgmt pushes to each hosting device for this instance."""
        return {
            "id": str(self.id),
            "tenant_id": self.tenant_id,
            "name": self.name,
            "service_type": service_type,
            "service_table_id": self.service_table_id,
            "mgmt_address": self.mgmt_address,
            "service_contexts": [c.model_dump(mode="json") for c in self.service_contexts],
            "kwargs": self.kwargs,
        }

    def snapshot(self) -> ServiceInstanceSnapshot:
        return ServiceInstanceSnapshot(
            id=self.id,
            tenant_id=self.tenant_id,
            name=self.name,
            service_type_id=self.service_type_id,
            service_table_id=self.service_table_id,
            mgmt_driver=self.mgmt_driver,
            mgmt_address=self.mgmt_address,
            service_contexts=self.service_contexts,
            devices=self.devices,
            kwargs=self.kwargs,
            managed_by_user=self.managed_by_user,
            status=self.status,
            error_reason=self.error_reason,
            revision=self.revision,
        )
