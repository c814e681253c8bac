"""The SOL003 VNF lifecycle change notifications (ETSI GS NFV-SOL 003 v2.6.1, 5.5.2.17-19),
exactly as subscribers receive them, over HTTP (mgmt's deliveries) and AMQP
(``servicevm.notifications`` and ``servicevm.notifications.projects``, routing key
``[<project>.]vnflcm.<notificationType>``).

One definition for producer and contract: mgmt builds these models, and their JSON Schema
(``model_json_schema(by_alias=True)``) is what a subscriber can validate against. Attribute
names are SOL003's camelCase. ``id`` is stable: the same notification has the same id for
every subscription and every retry, so a subscriber deduplicates on it. ``subscriptionId``
and ``_links.subscription`` name the HTTP subscription it is sent for; on AMQP, where no
subscription exists, they are absent.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.notifications import SCHEMA_VERSION, SchemaVersion
from shared.contracts.vnflcm import OperationState, VnfLcmOperation

NotificationType = Literal[
    "VnfLcmOperationOccurrenceNotification",
    "VnfIdentifierCreationNotification",
    "VnfIdentifierDeletionNotification",
]
NOTIFICATION_TYPES: tuple[NotificationType, ...] = (
    "VnfLcmOperationOccurrenceNotification",
    "VnfIdentifierCreationNotification",
    "VnfIdentifierDeletionNotification",
)
# The prefix of their event types (the AMQP routing keys, the deliveries' event_type).
EVENT_PREFIX = "vnflcm."
# SOL003 LcmOperationType and LcmOperationStateType, as subscribers filter on them
# (operationTypes, operationStates): the values the op occs themselves take.
OPERATION_TYPES: tuple[str, ...] = get_args(VnfLcmOperation)
OPERATION_STATES: tuple[str, ...] = get_args(OperationState)


def event_type(notification_type: str) -> str:
    return f"{EVENT_PREFIX}{notification_type}"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Link(_Body):
    href: str


class LccnLinks(_Body):
    vnfInstance: Link
    subscription: Link | None = None
    vnfLcmOpOcc: Link | None = None


class ResourceHandle(_Body):
    vimConnectionId: str | None = None
    resourceId: str
    vimLevelResourceType: str | None = None


class AffectedVnfc(_Body):
    id: str
    vduId: str
    changeType: Literal["ADDED", "REMOVED", "MODIFIED", "TEMPORARY"]
    computeResource: ResourceHandle


class ProblemDetails(_Body):
    model_config = ConfigDict(extra="allow", frozen=True)

    type: str | None = None
    title: str | None = None
    status: int
    detail: str
    instance: str | None = None


def _require_schema_version(schema: dict[str, Any]) -> None:
    """schema_version has a default (producers need not pass it) yet is always sent, so the
    published schema lists it as required (absent optional attributes are not sent, so the
    others stay optional)."""
    schema.setdefault("required", []).append("schema_version")


class _Notification(_Body):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        json_schema_extra=_require_schema_version,
    )

    id: uuid.UUID
    subscriptionId: uuid.UUID | None = None
    timeStamp: datetime
    vnfInstanceId: uuid.UUID
    links: LccnLinks = Field(alias="_links")
    # servicevm's contract version, in every notification body (not a SOL003 attribute;
    # SOL003 consumers ignore attributes they do not know).
    schema_version: SchemaVersion = SCHEMA_VERSION


class VnfLcmOperationOccurrenceNotification(_Notification):
    """START when the op occ enters STARTING; RESULT at every later state it enters, with
    what it changed so far (affectedVnfcs, changedInfo, changedExtConnectivity) and, once
    it failed, its error."""

    notificationType: Literal["VnfLcmOperationOccurrenceNotification"]
    notificationStatus: Literal["START", "RESULT"]
    operationState: OperationState
    operation: VnfLcmOperation
    isAutomaticInvocation: bool
    vnfLcmOpOccId: uuid.UUID
    affectedVnfcs: list[AffectedVnfc] | None = None
    affectedVirtualLinks: list[dict[str, Any]] | None = None
    affectedVirtualStorages: list[dict[str, Any]] | None = None
    changedInfo: dict[str, Any] | None = None
    changedExtConnectivity: list[dict[str, Any]] | None = None
    error: ProblemDetails | None = None


class VnfIdentifierCreationNotification(_Notification):
    notificationType: Literal["VnfIdentifierCreationNotification"]


class VnfIdentifierDeletionNotification(_Notification):
    notificationType: Literal["VnfIdentifierDeletionNotification"]


Sol003Notification = (
    VnfLcmOperationOccurrenceNotification
    | VnfIdentifierCreationNotification
    | VnfIdentifierDeletionNotification
)
MODELS: dict[str, type[_Notification]] = {
    "VnfLcmOperationOccurrenceNotification": VnfLcmOperationOccurrenceNotification,
    "VnfIdentifierCreationNotification": VnfIdentifierCreationNotification,
    "VnfIdentifierDeletionNotification": VnfIdentifierDeletionNotification,
}


def to_json(notification: _Notification) -> bytes:
    """The wire form: aliases (``_links``), no absent optional attribute."""
    return notification.model_dump_json(by_alias=True, exclude_none=True).encode()


def for_subscription(notification: _Notification, subscription_id: uuid.UUID, href: str) -> bytes:
    """The body sent to one HTTP subscription: its id and link added."""
    links = notification.links.model_copy(update={"subscription": Link(href=href)})
    return to_json(
        notification.model_copy(update={"subscriptionId": subscription_id, "links": links})
    )


def json_schema(notification_type: str) -> dict[str, Any]:
    return MODELS[notification_type].model_json_schema(by_alias=True)
