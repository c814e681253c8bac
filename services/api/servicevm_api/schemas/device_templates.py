"""/v1.0/device_templates models, derived from the contract's field groups: Create
(allow_post), Update (allow_put), Public (is_visible). A field of Public missing from
Create or Update is refused by name."""

from __future__ import annotations

from pydantic import BaseModel, Field

from servicevm_api.schemas.common import list_model, selection_of, show_model
from servicevm_api.schemas.fields import Name, NonEmptyName, Public, RequestedTenant, Strict
from shared.contracts import resources as r
from shared.contracts.fields import Identified, Owned


class ServiceTypeNames(BaseModel):
    # A client names the service types; lifecycle gives each its id.
    service_types: list[NonEmptyName] = Field(default_factory=list, max_length=64)


class DeviceTemplateCreate(
    Strict,
    r.DeviceTemplateOptions,
    r.DeviceTemplateDrivers,
    ServiceTypeNames,
    r.DeviceTemplateNaming,
    RequestedTenant,
):
    pass


class DeviceTemplateUpdate(Strict):
    name: Name | None = None
    description: Name | None = None


class DeviceTemplatePublic(
    Public,
    r.DeviceTemplateOptions,
    r.DeviceTemplateDrivers,
    r.DeviceTemplateServiceTypes,
    r.DeviceTemplateNaming,
    Owned,
    Identified,
):
    pass


class DeviceTemplateCreateRequest(Strict):
    device_template: DeviceTemplateCreate


class DeviceTemplateUpdateRequest(Strict):
    device_template: DeviceTemplateUpdate


class DeviceTemplateResponse(BaseModel):
    device_template: DeviceTemplatePublic


DeviceTemplateSelection = selection_of(DeviceTemplatePublic, "a device template")
DeviceTemplateShow = show_model("DeviceTemplateShow", "device_template", DeviceTemplateSelection)
DeviceTemplateList = list_model("DeviceTemplateList", "device_templates", DeviceTemplateSelection)
