"""One definition of each resource's fields, in groups. The api's request and response models
and the commands and events derive from these groups by inheritance, so a field is typed once.

Pydantic orders a model's fields from its last base to its first, then its own: the groups are
cut where a message's or a REST body's field order needs it, and a model lists its bases
last-first (``class Snapshot(Later, Earlier, Identified)`` starts with ``id``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts.fields import DictOrNone, Name, NonEmptyName
from shared.contracts.notifications import EVENT_TYPES, RESOURCE_TYPES

# --- service contexts and service types ---------------------------------------------------


# Values inside messages and bodies refuse unknown keys and never change. A group with a
# field named ``kwargs`` forbids extras too: mypy's pydantic plugin gives a model that
# allows them an ``__init__(**kwargs)``, which the field would shadow. (Spelled out in each
# class: the plugin reads only a literal ``ConfigDict(...)``.)


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
    role: Name | None = None
    index: Annotated[int, Field(ge=0)] | None = None


# --- device templates ---------------------------------------------------------------------


class DeviceTemplateNaming(BaseModel):
    name: Name = ""
    description: Name = ""


class DeviceTemplateDrivers(BaseModel):
    device_driver: NonEmptyName
    mgmt_driver: NonEmptyName


class DeviceTemplateServiceTypes(BaseModel):
    service_types: list[ServiceTypeRef]


class DeviceTemplateOptions(BaseModel):
    attributes: dict[NonEmptyName, Annotated[str, StringConstraints(max_length=65535)]] = Field(
        default_factory=dict
    )
    # The VIM its devices are built in; None: the project's default VIM.
    vim_id: uuid.UUID | None = None


# --- devices ------------------------------------------------------------------------------


class DeviceRequest(BaseModel):
    """What a client asks for when it creates a device."""

    model_config = ConfigDict(extra="forbid")

    template_id: uuid.UUID
    kwargs: DictOrNone = Field(default_factory=dict)
    service_contexts: list[ServiceContext] = Field(default_factory=list, max_length=64)
    # The VIM to build it in; None: its template's, else the project's default VIM.
    vim_id: uuid.UUID | None = None


class DeviceBody(BaseModel):
    """A device as built: its template, its server and its attachments."""

    model_config = ConfigDict(extra="forbid")

    template_id: uuid.UUID
    instance_id: str | None
    mgmt_address: str | None
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]


class DevicePlacement(BaseModel):
    # Where the driver placed it (physical topology); unknown until the device is spawned.
    host: str | None = None
    availability_zone: str | None = None
    # The VIM the device is built in (None for drivers that need none), fixed at creation.
    vim_id: uuid.UUID | None = None


# --- service instances --------------------------------------------------------------------


class ServiceInstanceRequest(BaseModel):
    """What a client asks for when it creates a service instance."""

    model_config = ConfigDict(extra="forbid")

    name: Name = ""
    service_type_id: uuid.UUID
    service_table_id: Name | None = None
    mgmt_driver: NonEmptyName | None = None
    mgmt_address: Name | None = None
    service_contexts: list[ServiceContext] = Field(default_factory=list, max_length=64)
    # Devices to host it, if the client wants to choose; the scheduler checks each one.
    devices: list[uuid.UUID] = Field(default_factory=list, max_length=16)
    kwargs: DictOrNone = Field(default_factory=dict)
    managed_by_user: bool = False


# --- VIMs ---------------------------------------------------------------------------------


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http or https URL, such as https://keystone.example.com/v3")
    return value


AuthUrl = Annotated[NonEmptyName, AfterValidator(_http_url)]


class VimNaming(BaseModel):
    name: Name = ""
    description: Name = ""
    type: Literal["openstack"] = "openstack"
    auth_url: AuthUrl
    region_name: NonEmptyName | None = None


class VimUser(BaseModel):
    """A user's password in a project (the secret travels apart)."""

    project_name: NonEmptyName | None = None
    project_domain_name: NonEmptyName | None = None
    project_id: NonEmptyName | None = None
    user_name: NonEmptyName | None = None
    user_domain_name: NonEmptyName | None = None


class VimAppCredential(BaseModel):
    application_credential_id: NonEmptyName | None = None


class VimDefault(BaseModel):
    is_default: bool = False


class VimCheck(BaseModel):
    """Lifecycle's last check of the VIM."""

    status: str
    status_reason: str | None


# --- subscriptions ------------------------------------------------------------------------

ResourceType = Literal["device", "device_template", "service_instance"]
# The contract's list, spelled as a Literal so that the OpenAPI document enumerates it.
assert set(get_args(ResourceType)) == set(RESOURCE_TYPES)


def _known_event_type(value: str) -> str:
    """An event type mgmt emits, ``<resource type>.*`` for all of one resource's, or ``*``."""
    prefix, _, rest = value.partition(".")
    if value == "*" or value in EVENT_TYPES or (rest == "*" and prefix in RESOURCE_TYPES):
        return value
    raise ValueError(
        f"unknown event type {value!r}: give one such as device.active, or a prefix such as device.*"
    )


EventType = Annotated[
    str,
    StringConstraints(max_length=64, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$"),
    AfterValidator(_known_event_type),
]


class SubscriptionTarget(BaseModel):
    callback_uri: str


class SubscriptionFilterFields(BaseModel):
    # Event types (``device.active``) or prefixes (``device.*``); empty: every event type.
    event_types: list[EventType] = Field(default_factory=list, max_length=64)
    # Resource types (``device``); empty: every resource type.
    resource_types: list[ResourceType] = Field(default_factory=list, max_length=8)


class SubscriptionScope(BaseModel):
    # Every project's notifications (only an admin may ask for it), not only tenant_id's.
    all_projects: bool = False
