"""Service instances and their state machine. Pure: no I/O, no framework (pydantic only
validates; the fields are the shared contract's, so they are typed once)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ConfigDict, Field

from shared.contracts.fields import Revisioned
from shared.contracts.models import ServiceInstanceFields, ServiceInstanceSnapshot
from shared.contracts.statuses import ServiceInstanceStatus

Status = ServiceInstanceStatus

TRANSITIONS: dict[Status, frozenset[Status]] = {
    # A waiting (unplaced) instance may be deleted before it is ever placed.
    Status.PENDING_CREATE: frozenset({Status.ACTIVE, Status.ERROR, Status.PENDING_DELETE}),
    Status.ACTIVE: frozenset({Status.PENDING_UPDATE, Status.PENDING_DELETE, Status.ERROR}),
    Status.PENDING_UPDATE: frozenset({Status.ACTIVE, Status.ERROR, Status.PENDING_DELETE}),
    Status.ERROR: frozenset({Status.PENDING_DELETE}),
    Status.PENDING_DELETE: frozenset({Status.ERROR}),
}


class ServiceInstance(Revisioned, ServiceInstanceFields):
    """A service instance as the scheduler holds it: its snapshot's fields (``devices``: those
    hosting it), the devices the client asked for, and the status last announced."""

    model_config = ConfigDict(frozen=True)

    status: Status = Status.PENDING_CREATE
    error_reason: str | None = None
    devices: list[uuid.UUID] = Field(default_factory=list)
    revision: int = 1
    requested_devices: list[uuid.UUID] = Field(default_factory=list)
    # The status before the changes not yet announced (None: nothing to announce); not stored.
    previous_status: Status | None = None

    @property
    def ha(self) -> bool:
        """An HA instance gets two bindings on devices on different hosts."""
        return self.kwargs.get("ha") is True

    @property
    def bindings_wanted(self) -> int:
        return 2 if self.ha else 1

    def can(self, status: Status) -> bool:
        return status in TRANSITIONS.get(self.status, frozenset())

    def transition(
        self, status: Status, *, error_reason: str | None = None, **changes: Any
    ) -> ServiceInstance:
        if not self.can(status):
            raise ValueError(f"service instance {self.id} cannot go from {self.status} to {status}")
        return self.model_copy(
            update={
                "status": status,
                "error_reason": error_reason,
                "revision": self.revision + 1,
                "previous_status": self.status,
                **changes,
            }
        )

    def changed(self, **changes: Any) -> ServiceInstance:
        """A new revision with the same status (its devices or fields changed). A transition
        not yet announced keeps its previous status, so the announcement still shows it."""
        previous = self.previous_status if self.previous_status is not None else self.status
        return self.model_copy(
            update={"revision": self.revision + 1, "previous_status": previous, **changes}
        )

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
        return ServiceInstanceSnapshot.model_validate(self, from_attributes=True)
