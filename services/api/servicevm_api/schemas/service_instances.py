"""/v1.0/service_instances models, derived from the contract's field groups."""

from __future__ import annotations

from pydantic import BaseModel

from servicevm_api.schemas.common import list_model, selection_of, show_model
from servicevm_api.schemas.fields import DictOrNone, Name, Public, RequestedTenant, Strict
from shared.contracts.models import ServiceInstanceFields
from shared.contracts.resources import ServiceInstanceRequest


class ServiceInstanceCreate(Strict, ServiceInstanceRequest, RequestedTenant):
    pass


class ServiceInstanceUpdate(Strict):
    name: Name | None = None
    kwargs: DictOrNone | None = None


class ServiceInstancePublic(Public, ServiceInstanceFields):
    pass


class ServiceInstanceCreateRequest(Strict):
    service_instance: ServiceInstanceCreate


class ServiceInstanceUpdateRequest(Strict):
    service_instance: ServiceInstanceUpdate


class ServiceInstanceResponse(BaseModel):
    service_instance: ServiceInstancePublic


ServiceInstanceSelection = selection_of(ServiceInstancePublic, "a service instance")
ServiceInstanceShow = show_model(
    "ServiceInstanceShow", "service_instance", ServiceInstanceSelection
)
ServiceInstanceList = list_model(
    "ServiceInstanceList", "service_instances", ServiceInstanceSelection
)
