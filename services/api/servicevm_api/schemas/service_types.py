"""/v1.0/service_types models: the catalogue clients pick a service_type_id from (each
template's service types, which only the api lists on their own)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from servicevm_api.schemas.common import Link


class ServiceTypePublic(BaseModel):
    id: uuid.UUID
    template_id: uuid.UUID
    tenant_id: str
    service_type: str


class ServiceTypeList(BaseModel):
    service_types: list[dict[str, Any]]
    service_types_links: list[Link] = Field(default_factory=list)
