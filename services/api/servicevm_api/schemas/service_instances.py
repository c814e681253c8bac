"""/v1.0/service_instances models, derived from the contract's field groups."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from servicevm_api.schemas.common import Link
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


class ServiceInstanceList(BaseModel):
    service_instances: list[dict[str, Any]]
    service_instances_links: list[Link] = Field(default_factory=list)
