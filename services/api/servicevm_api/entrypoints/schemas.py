"""The blueprint's attribute maps as pydantic models: Create (allow_post), Update (allow_put),
Public (is_visible). A field of Public missing from Create or Update is refused by name."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from servicevm_api.entrypoints.fields import DictOrNone, Name, NonEmptyName
from servicevm_api.entrypoints.fields import Strict as _Strict
from servicevm_api.entrypoints.subscription_schemas import SubscriptionPublic
from servicevm_api.entrypoints.vim_schemas import VimPublic
from shared.contracts.models import ServiceContext

# --- device templates --------------------------------------------------------------------


class ServiceTypePublic(BaseModel):
    id: uuid.UUID
    service_type: str


class ServiceTypeListItem(BaseModel):
    id: uuid.UUID
    template_id: uuid.UUID
    tenant_id: str
    service_type: str


class DeviceTemplateCreate(_Strict):
    tenant_id: NonEmptyName | None = None
    name: Name = ""
    description: Name = ""
    service_types: list[NonEmptyName] = Field(default_factory=list, max_length=64)
    device_driver: NonEmptyName
    mgmt_driver: NonEmptyName
    attributes: dict[NonEmptyName, Annotated[str, StringConstraints(max_length=65535)]] = Field(
        default_factory=dict
    )
    # The VIM its devices are built in; None: the project's default VIM.
    vim_id: uuid.UUID | None = None


class DeviceTemplateUpdate(_Strict):
    name: Name | None = None
    description: Name | None = None


class DeviceTemplatePublic(BaseModel):
    id: uuid.UUID
    tenant_id: str
    name: str
    description: str
    service_types: list[ServiceTypePublic]
    device_driver: str
    mgmt_driver: str
    attributes: dict[str, str]
    vim_id: uuid.UUID | None


class DeviceTemplateCreateRequest(_Strict):
    device_template: DeviceTemplateCreate


class DeviceTemplateUpdateRequest(_Strict):
    device_template: DeviceTemplateUpdate


class DeviceTemplateResponse(BaseModel):
    device_template: DeviceTemplatePublic


# --- devices -----------------------------------------------------------------------------


class ServiceContextIn(_Strict):
    network_id: uuid.UUID | None = None
    subnet_id: uuid.UUID | None = None
    port_id: uuid.UUID | None = None
    router_id: uuid.UUID | None = None
    role: Name | None = None
    index: Annotated[int, Field(ge=0)] | None = None

    def to_contract(self) -> ServiceContext:
        return ServiceContext(**self.model_dump())


class DeviceCreate(_Strict):
    tenant_id: NonEmptyName | None = None
    template_id: uuid.UUID
    kwargs: DictOrNone = Field(default_factory=dict)
    service_contexts: list[ServiceContextIn] = Field(default_factory=list, max_length=64)
    # The VIM to build it in; None: its template's, else the project's default VIM.
    vim_id: uuid.UUID | None = None


class DeviceUpdate(_Strict):
    kwargs: DictOrNone = Field(default_factory=dict)


class DevicePublic(_Strict):
    id: uuid.UUID
    tenant_id: str
    template_id: uuid.UUID
    instance_id: str | None
    mgmt_address: str | None
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]
    services: list[uuid.UUID]
    status: str
    error_reason: str | None
    host: str | None
    availability_zone: str | None
    vim_id: uuid.UUID | None


class DeviceCreateRequest(_Strict):
    device: DeviceCreate


class DeviceUpdateRequest(_Strict):
    device: DeviceUpdate


class DeviceResponse(BaseModel):
    device: DevicePublic


# --- service instances -------------------------------------------------------------------


class ServiceInstanceCreate(_Strict):
    tenant_id: NonEmptyName | None = None
    name: Name = ""
    service_type_id: uuid.UUID
    service_table_id: Name | None = None
    mgmt_driver: NonEmptyName | None = None
    mgmt_address: Name | None = None
    service_contexts: list[ServiceContextIn] = Field(default_factory=list, max_length=64)
    # Devices to host it, if the client wants to choose; the scheduler checks each one.
    devices: list[uuid.UUID] = Field(default_factory=list, max_length=16)
    kwargs: DictOrNone = Field(default_factory=dict)
    managed_by_user: bool = False


class ServiceInstanceUpdate(_Strict):
    name: Name | None = None
    kwargs: DictOrNone | None = None


class ServiceInstancePublic(_Strict):
    id: uuid.UUID
    tenant_id: str
    name: str
    service_type_id: uuid.UUID
    service_table_id: str | None
    mgmt_driver: str | None
    mgmt_address: str | None
    service_contexts: list[ServiceContext]
    devices: list[uuid.UUID]
    kwargs: dict[str, Any]
    managed_by_user: bool
    status: str
    error_reason: str | None


class ServiceInstanceCreateRequest(_Strict):
    service_instance: ServiceInstanceCreate


class ServiceInstanceUpdateRequest(_Strict):
    service_instance: ServiceInstanceUpdate


class ServiceInstanceResponse(BaseModel):
    service_instance: ServiceInstancePublic


# --- topology ----------------------------------------------------------------------------


class TopologyInstance(BaseModel):
    id: uuid.UUID
    name: str
    service_type_id: uuid.UUID
    status: str


class TopologyDevice(BaseModel):
    id: uuid.UUID
    template_id: uuid.UUID
    status: str
    availability_zone: str | None
    slot_capacity: int | None
    slots_used: int
    slots_free: int | None
    networks: list[uuid.UUID]
    ports: list[uuid.UUID]
    service_instances: list[TopologyInstance]


class TopologyHost(BaseModel):
    host: str | None
    availability_zones: list[str]
    devices: list[TopologyDevice]


class Topology(BaseModel):
    hosts: list[TopologyHost]


class TopologyResponse(BaseModel):
    topology: Topology


# --- lists -------------------------------------------------------------------------------


class Link(BaseModel):
    rel: str
    href: str


class DeviceTemplateList(BaseModel):
    device_templates: list[dict[str, Any]]
    device_templates_links: list[Link] = Field(default_factory=list)


class DeviceList(BaseModel):
    devices: list[dict[str, Any]]
    devices_links: list[Link] = Field(default_factory=list)


class ServiceInstanceList(BaseModel):
    service_instances: list[dict[str, Any]]
    service_instances_links: list[Link] = Field(default_factory=list)


class ServiceTypeList(BaseModel):
    service_types: list[dict[str, Any]]
    service_types_links: list[Link] = Field(default_factory=list)


# Resource key in a request body -> the attributes a client can see (for error messages).
VISIBLE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "device_template": frozenset(DeviceTemplatePublic.model_fields),
    "device": frozenset(DevicePublic.model_fields),
    "service_instance": frozenset(ServiceInstancePublic.model_fields),
    "service_type": frozenset(ServiceTypeListItem.model_fields),
    "vim": frozenset(VimPublic.model_fields),
    "subscription": frozenset(SubscriptionPublic.model_fields),
}


# --- errors ------------------------------------------------------------------------------


class NeutronErrorDetail(BaseModel):
    type: str
    message: str
    detail: str


class ErrorResponse(BaseModel):
    NeutronError: NeutronErrorDetail


_ERRORS = {
    400: "Invalid input: a malformed body, an unknown attribute, a bad value or query.",
    401: "No credentials, or credentials that are invalid or expired.",
    403: "Policy does not allow the action to this caller.",
    404: "No such resource, or it belongs to another project.",
    409: "The resource is in use or busy with another operation.",
    413: "The request body is larger than SERVICEVM_MAX_BODY_BYTES.",
    429: "Too many writes for the project; see Retry-After.",
    503: "The identity service, database or broker is unavailable; retry later.",
    504: "The request did not complete within SERVICEVM_REQUEST_TIMEOUT_SECONDS.",
}
# Declared on every router, so that the OpenAPI document describes every answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": description}
    for code, description in _ERRORS.items()
}
