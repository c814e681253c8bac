"""The VNF aggregate and the steps of a plan, as lifecycle sees them. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.contracts.vnflcm import InstantiationState, VnfFlavourSpec, VnfState

StepAction = Literal["CREATE", "DELETE", "UPDATE", "START", "STOP"]
# PENDING: not issued yet; SENT: its device command is on its way; DONE / FAILED: settled.
StepStatus = Literal["PENDING", "SENT", "DONE", "FAILED"]


class PlanError(ValueError):
    """The request does not fit the VNF or its flavour; the message says why."""


@dataclass(frozen=True)
class Step:
    """One device action of a plan, its device id chosen up front.

    Steps of a lower ``wave`` are all DONE before a higher wave is issued (heal and change
    flavour make the new VNFCs before they break the old ones)."""

    action: StepAction
    vnfc_id: uuid.UUID
    vdu_id: str
    device_id: uuid.UUID
    wave: int = 0
    status: StepStatus = "PENDING"
    # CREATE: the device template; UPDATE: the new kwargs (undo_kwargs: the old ones).
    template_id: uuid.UUID | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    undo_kwargs: dict[str, Any] = field(default_factory=dict)
    # CREATE: the device the VNFC had before (heal, retry), which the VNFC keeps until this
    # one is ACTIVE; DELETE of a rollback: the device the VNFC goes back to if it still exists.
    replaces: uuid.UUID | None = None
    # CREATE of a new VNFC (scale out, instantiate), not a new device for an existing one.
    adds_vnfc: bool = False
    # A step whose failure does not fail the op (stopping a VNFC before terminating it).
    best_effort: bool = False
    reason: str | None = None
    # STOP of a GRACEFUL terminate or operate: the VNFC is asked to stop and given this many
    # seconds to do so (None: a forceful stop, done and settled by the driver call).
    graceful_seconds: float | None = None
    # A graceful STOP in flight: until when it may take (recorded when issued, so a
    # restarted lifecycle keeps waiting as long, no longer); then the op goes on forcefully.
    wait_until: datetime | None = None


@dataclass(frozen=True)
class Vnfc:
    id: uuid.UUID
    vdu_id: str
    device_id: uuid.UUID
    # Creation order: scale-in removes the newest.
    seq: int = 0
    power_state: VnfState = "STARTED"


@dataclass(frozen=True)
class VnfTarget:
    """What the VNF becomes when the op completes (None: unchanged)."""

    instantiation_state: InstantiationState | None = None
    flavour: VnfFlavourSpec | None = None
    clear_flavour: bool = False
    instantiation_level_id: str | None = None
    scale_status: dict[str, int] | None = None
    vnf_state: VnfState | None = None
    vim_id: uuid.UUID | None = None
    ext_virtual_links: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Vnf:
    id: uuid.UUID
    tenant_id: str
    instantiation_state: InstantiationState = "NOT_INSTANTIATED"
    flavour: VnfFlavourSpec | None = None
    instantiation_level_id: str | None = None
    scale_status: dict[str, int] = field(default_factory=dict)
    vnf_state: VnfState | None = None
    vim_id: uuid.UUID | None = None
    ext_virtual_links: list[dict[str, Any]] = field(default_factory=list)
    vnfcs: tuple[Vnfc, ...] = ()
    revision: int = 0

    def vnfcs_of(self, vdu_id: str) -> list[Vnfc]:
        return sorted((v for v in self.vnfcs if v.vdu_id == vdu_id), key=lambda v: v.seq)
