"""What VNF lifecycle management reads of the packages (``/vnflcm`` instantiates from them).

An instance names its package by ``vnfdId``: ``package_for_vnfd`` finds the project's
ONBOARDED package with it (None when there is none, or it is not ENABLED: a 422 for the
instance's creation). ``flavour_spec`` gives a flavour of its VNFD (``shared.vnfd.model``)
and the device template of each of the flavour's VDUs, which is what instantiation and
change_flavour send to lifecycle. ``set_usage_state`` marks a package IN_USE while an
instance uses it (DELETE of the package is then a 409).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import vnf_packages
from servicevm_api.vnfpkgm.repository import INFO_COLUMNS, set_fields
from servicevm_api.vnfpkgm.schemas import UsageState
from shared.vnfd.model import Flavour, Vnfd


@dataclass(frozen=True)
class FlavourSpec:
    vnfd: Vnfd
    flavour: Flavour
    # vdu id -> the device template of that VDU in this flavour.
    templates: dict[str, uuid.UUID]


async def package_for_vnfd(
    conn: AsyncConnection, *, tenant_id: str, vnfd_id: str, enabled: bool = True
) -> Row[Any] | None:
    query = select(*INFO_COLUMNS).where(
        vnf_packages.c.tenant_id == tenant_id,
        vnf_packages.c.vnfd_id == vnfd_id,
        vnf_packages.c.onboarding_state == "ONBOARDED",
    )
    if enabled:
        query = query.where(vnf_packages.c.operational_state == "ENABLED")
    return (await conn.execute(query)).first()


def flavour_spec(package: Row[Any], flavour_id: str) -> FlavourSpec | None:
    """The flavour of an ONBOARDED package's VNFD; None when the VNFD has no such flavour."""
    vnfd = Vnfd.model_validate(package.vnfd)
    if flavour_id not in vnfd.flavours:
        return None
    templates = {vdu: uuid.UUID(t) for vdu, t in package.vdu_templates[flavour_id].items()}
    return FlavourSpec(vnfd=vnfd, flavour=vnfd.flavours[flavour_id], templates=templates)


async def set_usage_state(conn: AsyncConnection, package_id: uuid.UUID, state: UsageState) -> None:
    await set_fields(conn, package_id, usage_state=state)
