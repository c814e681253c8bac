"""Value objects shared by several messages."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class ServiceTypeRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    service_type: str


class ServiceContext(BaseModel):
    """Where a device is plugged in: one network attachment and the role it plays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    network_id: uuid.UUID | None = None
    subnet_id: uuid.UUID | None = None
    port_id: uuid.UUID | None = None
    router_id: uuid.UUID | None = None
    role: str | None = None
    index: int | None = None


class DeviceTemplateSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    tenant_id: str
    name: str
    description: str
    device_driver: str
    mgmt_driver: str
    service_types: list[ServiceTypeRef]
    attributes: dict[str, str]
    # The VIM its devices are built in, unless a device names its own.
    vim_id: uuid.UUID | None = None


class DeviceSnapshot(BaseModel):
    """The whole visible state of a device at one revision (state-transfer events)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    tenant_id: str
    template_id: uuid.UUID
    instance_id: str | None
    mgmt_address: str | None
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]
    status: str
    error_reason: str | None
    # Increases at every change; projections ignore a snapshot older than the one they hold.
    revision: int
    # Where the driver placed it (physical topology); unknown until the device is spawned.
    host: str | None = None
    availability_zone: str | None = None
    # The VIM the device is built in (None for drivers that need none), fixed at creation.
    vim_id: uuid.UUID | None = None


class ServiceInstanceSnapshot(BaseModel):
    """The whole visible state of a logical service instance at one revision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    tenant_id: str
    name: str
    service_type_id: uuid.UUID
    service_table_id: str | None
    mgmt_driver: str | None
    mgmt_address: str | None
    service_contexts: list[ServiceContext]
    # The devices hosting it (bindings), in the order they were chosen.
    devices: list[uuid.UUID]
    kwargs: dict[str, Any]
    managed_by_user: bool
    status: str
    error_reason: str | None
    revision: int


class DeviceStatus:
    """Device (and service instance) statuses, as in the blueprint."""

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


class VimSpec(BaseModel):
    """A VIM's registration as lifecycle stores it. The secret (password or application
    credential secret) travels only as a Fernet token; no plaintext ever leaves the api."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str
    name: str
    description: str
    type: str
    auth_url: str
    region_name: str | None
    project_name: str | None
    project_domain_name: str | None
    project_id: str | None
    user_name: str | None
    user_domain_name: str | None
    application_credential_id: str | None
    encrypted_secret: str
    is_default: bool


class SubscriptionSpec(BaseModel):
    """An HTTP subscription as mgmt stores it. Its secret (basic password or HMAC key)
    travels only as a Fernet token; no plaintext ever leaves the api."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str
    callback_uri: str
    # Event types (``device.active``) or prefixes (``device.*``); empty: every event type.
    event_types: list[str]
    # Resource types (``device``); empty: every resource type.
    resource_types: list[str]
    # Every project's notifications (only an admin may ask for it), not only tenant_id's.
    all_projects: bool
    auth_type: Literal["none", "basic", "hmac"]
    auth_username: str | None = None
    encrypted_secret: str | None = None


class VimStatus:
    PENDING = "PENDING"
    REACHABLE = "REACHABLE"
    UNREACHABLE = "UNREACHABLE"
