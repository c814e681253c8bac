"""Service types: the catalogue of what the templates offer.

Devices are shared by all projects (unless a template is tenant_bound), so every project
may read the whole catalogue to find the service_type_id of what it wants.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from servicevm_api.adapters.orm import service_types
from servicevm_api.caller import Caller
from servicevm_api.service_layer.access import Collection, ListQuery
from shared.db.uow import UnitOfWork

SERVICE_TYPES = Collection("service_type", service_types, readable_by_all=True)


async def get_service_type(uow: UnitOfWork, caller: Caller, service_type_id: uuid.UUID) -> Row[Any]:
    return await SERVICE_TYPES.get(uow, caller, service_type_id)


async def list_service_types(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await SERVICE_TYPES.list(uow, caller, query)
