"""/v1.0/service_types models: the catalogue clients pick a service_type_id from (each
template's service types, which only the api lists on their own)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from servicevm_api.schemas.common import list_model, selection_of, show_model


class ServiceTypePublic(BaseModel):
    id: uuid.UUID
    template_id: uuid.UUID
    tenant_id: str
    service_type: str


ServiceTypeSelection = selection_of(ServiceTypePublic, "a service type")
ServiceTypeShow = show_model("ServiceTypeShow", "service_type", ServiceTypeSelection)
ServiceTypeList = list_model("ServiceTypeList", "service_types", ServiceTypeSelection)
