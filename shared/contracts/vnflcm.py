"""VNF lifecycle management messages (ETSI SOL003), between the api and lifecycle.

The api owns the VNF instance record and the op occ rows it serves; lifecycle owns the VNF
aggregate (its VNFCs, which are ordinary devices) and runs each operation occurrence as a
persisted plan. The flow:

1. The api creates the op occ STARTING and, in the same transaction, sends
   ``RunVnfLcmOperation`` (its ``id`` IS the op occ id).
2. lifecycle records the op (idempotent by op occ id), moves it to PROCESSING and reports
   every state change with ``VnfLcmOpOccChanged`` (PROCESSING, COMPLETED, FAILED_TEMP,
   ROLLING_BACK, ROLLED_BACK, FAILED; the states one transaction went through in one
   message) and every change of the VNF with ``VnfInstanceChanged``, or within the
   ``VnfLcmOpOccChanged`` of the same change. Each snapshot has a ``revision``: a view
   keeps the highest.
3. ``VnfLcmOperationAction`` (RETRY, ROLLBACK, FAIL, CANCEL) acts on an op occ. The api checks
   the state first; lifecycle is the authoritative guard and answers an action that does
   not fit with a ``VnfLcmOpOccChanged`` re-announcing the real state (same revision + 1).

External NFVO mode (``SERVICEVM_NFVO_URL``): between 1 and 2, lifecycle records the op
STARTING with its plan and asks the NFVO for a grant (``servicevm_lifecycle.vnflcm.grants``);
granted, the op goes on as in 2 (``grant_id`` names the Grant); refused, it is reported
ROLLED_BACK; NFVO unreachable, PROCESSING then FAILED_TEMP (a RETRY asks again).

Every message's subject is the VNF instance id, so one VNF's messages are applied in order.
Field names are snake_case; the api renders them in SOL003's camelCase (``operation_state``
is ``operationState``, ``vnfc_resource_info`` is ``vnfcResourceInfo``, ...).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from shared.contracts.commands import Command
from shared.contracts.events import Event, check_passed
from shared.vnfd.model import Flavour

VnfLcmOperation = Literal[
    "INSTANTIATE",
    "SCALE",
    "SCALE_TO_LEVEL",
    "CHANGE_FLAVOUR",
    "TERMINATE",
    "HEAL",
    "OPERATE",
    "CHANGE_EXT_CONN",
    "MODIFY_INFO",
]
OperationState = Literal[
    "STARTING",
    "PROCESSING",
    "COMPLETED",
    "FAILED_TEMP",
    "FAILED",
    "ROLLING_BACK",
    "ROLLED_BACK",
]
ActionName = Literal["RETRY", "ROLLBACK", "FAIL", "CANCEL"]
CancelMode = Literal["GRACEFUL", "FORCEFUL"]
ChangeType = Literal["ADDED", "REMOVED", "MODIFIED", "TEMPORARY"]
InstantiationState = Literal["NOT_INSTANTIATED", "INSTANTIATED"]
VnfState = Literal["STARTED", "STOPPED"]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VnfFlavourSpec(_Value):
    """What lifecycle needs of the VNF package to build a flavour: the parsed flavour (its
    VDUs, aspects and levels, for the VNFC counts) and the device template onboarding
    created for each VDU of it. Sent with INSTANTIATE and CHANGE_FLAVOUR; lifecycle keeps
    it with the VNF for the later operations (scale, heal, ...)."""

    vnfd_id: str
    vnf_package_id: uuid.UUID | None = None
    flavour: Flavour
    # vdu id -> the device template (uuid) its VNFCs are devices of.
    vdu_templates: dict[str, uuid.UUID]


class AffectedVnfc(_Value):
    """SOL003 AffectedVnfc: ``compute_resource`` is the id of the device behind the VNFC."""

    id: uuid.UUID
    vdu_id: str
    change_type: ChangeType
    compute_resource: uuid.UUID


class ScaleInfo(_Value):
    aspect_id: str
    scale_level: int


class VnfcResourceInfo(_Value):
    """One VNFC of the instance: the device behind it, the device's status (PENDING_CREATE,
    ACTIVE, ERROR, ...) and its power state (STARTED / STOPPED, set by OPERATE)."""

    id: uuid.UUID
    vdu_id: str
    device_id: uuid.UUID
    status: str
    power_state: VnfState = "STARTED"


class VnfLcmOpOccSnapshot(_Value):
    """The whole state of one operation occurrence (SOL003 VnfLcmOpOcc) at one revision."""

    id: uuid.UUID
    vnf_instance_id: uuid.UUID
    tenant_id: str
    operation: VnfLcmOperation
    operation_state: OperationState
    is_automatic_invocation: bool
    # The task's request body as received (SOL003 camelCase JSON).
    operation_params: dict[str, Any]
    start_time: datetime
    state_entered_time: datetime
    is_cancel_pending: bool = False
    cancel_mode: CancelMode | None = None
    affected_vnfcs: list[AffectedVnfc] = []
    # SOL003 changedInfo (MODIFY_INFO) and changedExtConnectivity (CHANGE_EXT_CONN).
    changed_info: dict[str, Any] | None = None
    changed_ext_connectivity: list[dict[str, Any]] | None = None
    # A ProblemDetails dict (status, title, detail) once the op failed; None otherwise.
    error: dict[str, Any] | None = None
    revision: int
    # SOL003 grantId: the external NFVO's Grant (None: granted locally, or not yet).
    grant_id: str | None = None


class VnfInstanceSnapshot(_Value):
    """What lifecycle knows of a VNF instance: SOL003 instantiationState and the
    instantiatedVnfInfo (flavourId, vnfState, scaleStatus, vnfcResourceInfo) at one revision."""

    id: uuid.UUID
    tenant_id: str
    instantiation_state: InstantiationState
    vnfd_id: str | None = None
    flavour_id: str | None = None
    instantiation_level_id: str | None = None
    vnf_state: VnfState | None = None
    scale_status: list[ScaleInfo] = []
    vnfc_resource_info: list[VnfcResourceInfo] = []
    # The VIM the VNFCs are built in (None: their templates' or the project's default).
    vim_id: uuid.UUID | None = None
    ext_virtual_links: list[dict[str, Any]] = []
    revision: int


# --- commands ----------------------------------------------------------------------------


class RunVnfLcmOperation(Command):
    """Run one LCM task. ``id`` is the op occ id (the api created the op occ STARTING).

    ``operation_params`` is the SOL003 request body: INSTANTIATE (flavourId,
    instantiationLevelId, extVirtualLinks, additionalParams), TERMINATE (terminationType,
    gracefulTerminationTimeout), SCALE (type SCALE_OUT|SCALE_IN, aspectId, numberOfSteps),
    SCALE_TO_LEVEL (instantiationLevelId or scaleInfo [{aspectId, scaleLevel}]), HEAL
    (vnfcInstanceId: list, empty or absent = every VNFC), OPERATE (changeStateTo
    STARTED|STOPPED, stopType, gracefulStopTimeout), CHANGE_FLAVOUR (newFlavourId,
    instantiationLevelId), CHANGE_EXT_CONN (extVirtualLinks), MODIFY_INFO (the patch).
    ``flavour`` is required for INSTANTIATE and CHANGE_FLAVOUR (the flavour named in the
    params); ``vim_id`` is the VIM resolved from vimConnectionInfo (None: the templates' or
    the project's default VIM, or the embedded local cloud for the local driver)."""

    TYPE: ClassVar[str] = "lifecycle.run_vnf_lcm_op"

    vnf_instance_id: uuid.UUID
    tenant_id: str
    operation: VnfLcmOperation
    operation_params: dict[str, Any] = Field(default_factory=dict)
    is_automatic_invocation: bool = False
    flavour: VnfFlavourSpec | None = None
    vim_id: uuid.UUID | None = None

    @property
    def op_occ_id(self) -> uuid.UUID:
        return self.id

    @property
    def subject_id(self) -> str:
        return str(self.vnf_instance_id)

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The flavour's templates (and the VIM): their messages in flight go first."""
        templates = self.flavour.vdu_templates.values() if self.flavour else ()
        vim = (str(self.vim_id),) if self.vim_id is not None else ()
        return (*(str(t) for t in templates), *vim)


class VnfLcmOperationAction(Command):
    """RETRY, ROLLBACK, FAIL or CANCEL the op occ ``id`` of VNF ``vnf_instance_id``.

    ``operation`` (the op occ's) lets lifecycle record a CANCEL of an op it has not seen
    yet (STARTING -> ROLLED_BACK; the run command that follows is then ignored)."""

    TYPE: ClassVar[str] = "lifecycle.vnf_lcm_op_action"

    vnf_instance_id: uuid.UUID
    tenant_id: str
    action: ActionName
    cancel_mode: CancelMode | None = None
    operation: VnfLcmOperation | None = None

    @property
    def op_occ_id(self) -> uuid.UUID:
        return self.id

    @property
    def subject_id(self) -> str:
        return str(self.vnf_instance_id)


class OperateVnfc(Command):
    """lifecycle to itself: power one VNFC's device on or off (a step of OPERATE or of a
    GRACEFUL TERMINATE). ``id`` is the device id; the outcome settles the op's step."""

    TYPE: ClassVar[str] = "lifecycle.operate_vnfc"

    vnf_instance_id: uuid.UUID
    op_occ_id: uuid.UUID
    change_state_to: VnfState
    # Set on a GRACEFUL stop: the VNFC is only asked to stop (the driver's request_stop);
    # lifecycle's graceful stop watcher settles the step once it stopped or its time is up.
    graceful_timeout_seconds: float | None = None


# --- events ------------------------------------------------------------------------------


class VnfLcmOpOccChanged(Event):
    TYPE: ClassVar[str] = "vnf_lcm_op_occ.changed"

    op_occ: VnfLcmOpOccSnapshot
    # The VNF as the same change left it, when it changed too: one message instead of a
    # ``VnfInstanceChanged`` beside it (the VNF applies first: whoever sees the op COMPLETED
    # has seen the VNF it completed).
    vnf_instance: VnfInstanceSnapshot | None = None
    # The states the op entered and left in the transaction that ends at ``op_occ``, oldest
    # first: an op that gets from PROCESSING to COMPLETED at once (VNFCs built in
    # lifecycle's process) is one message, not two. The api's projection takes ``op_occ``;
    # mgmt notifies each state in turn (SOL003 names every state an op goes through).
    # Absent from the payload when empty.
    passed: list[VnfLcmOpOccSnapshot] = Field(default_factory=list)

    @model_validator(mode="after")
    def _passed_leads_to_op_occ(self) -> Self:
        check_passed(self.passed, self.op_occ)
        return self

    @model_serializer(mode="wrap")
    def _without_absent_passed(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = serialize(self)
        if not self.passed:
            data.pop("passed", None)
        return data

    @property
    def subject_id(self) -> str:
        return str(self.op_occ.vnf_instance_id)


class VnfInstanceChanged(Event):
    TYPE: ClassVar[str] = "vnf_instance.changed"

    vnf_instance: VnfInstanceSnapshot

    @property
    def subject_id(self) -> str:
        return str(self.vnf_instance.id)


# --- the api's VNF records, for the SOL003 notifications (mgmt) ------------------------


class VnfIdentity(_Value):
    """What a SOL003 subscription filter matches a VNF instance on (vnfdId, the provider's
    product and versions, the instance's name), as the api's record has it."""

    id: uuid.UUID
    tenant_id: str
    name: str | None = None
    vnfd_id: str
    vnf_provider: str
    vnf_product_name: str
    vnf_software_version: str
    vnfd_version: str


class _VnfRecordEvent(Event):
    vnf_instance: VnfIdentity

    @property
    def subject_id(self) -> str:
        return str(self.vnf_instance.id)


class VnfIdentifierCreated(_VnfRecordEvent):
    """The api created a VNF instance resource (POST /vnflcm/v1/vnf_instances)."""

    TYPE: ClassVar[str] = "vnf_instance.created"


class VnfIdentifierDeleted(_VnfRecordEvent):
    """The api deleted a VNF instance resource."""

    TYPE: ClassVar[str] = "vnf_instance.deleted"


class VnfLcmOpOccStarted(_VnfRecordEvent):
    """The api created an op occ (STARTING, or COMPLETED at once for MODIFY_INFO, whose
    record changes in the api only); ``vnf_instance`` as the record is after it."""

    TYPE: ClassVar[str] = "vnf_lcm_op_occ.started"

    op_occ: VnfLcmOpOccSnapshot
