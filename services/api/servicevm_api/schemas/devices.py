"""/v1.0/devices models, derived from the contract's field groups."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from servicevm_api.schemas.common import list_model, selection_of, show_model
from servicevm_api.schemas.fields import DictOrNone, Public, RequestedTenant, Strict
from shared.contracts import resources as r
from shared.contracts.events import MonitorReport
from shared.contracts.fields import Condition, Identified, Owned


class DeviceCreate(Strict, r.DeviceRequest, RequestedTenant):
    pass


class DeviceUpdate(Strict):
    kwargs: DictOrNone = Field(default_factory=dict)


class HostedServices(BaseModel):
    # The service instances it hosts (from the scheduler's capacity events).
    services: list[uuid.UUID]


class Monitored(BaseModel):
    # Its health monitors (last probe, result, consecutive failures), from mgmt's reports.
    monitors: list[MonitorReport] | None = None


class DevicePublic(
    Monitored, Public, r.DevicePlacement, Condition, HostedServices, r.DeviceBody, Owned, Identified
):
    pass


class DeviceCreateRequest(Strict):
    device: DeviceCreate


class DeviceUpdateRequest(Strict):
    device: DeviceUpdate


class DeviceResponse(BaseModel):
    device: DevicePublic


DeviceSelection = selection_of(DevicePublic, "a device")
DeviceShow = show_model("DeviceShow", "device", DeviceSelection)
DeviceList = list_model("DeviceList", "devices", DeviceSelection)
