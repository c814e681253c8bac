"""Hosts → devices → service instances, with used and free slots. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


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


def build_topology(devices: Iterable[Any], instances: Iterable[Any]) -> Topology:
    """``devices`` and ``instances`` are rows of the query model the caller may see."""
    hosted: dict[str, list[TopologyInstance]] = {}
    for instance in instances:
        entry = TopologyInstance.model_validate(instance, from_attributes=True)
        for device_id in instance.devices:
            hosted.setdefault(str(device_id), []).append(entry)
    hosts: dict[str | None, TopologyHost] = {}
    for device in devices:
        host = hosts.setdefault(
            device.host, TopologyHost(host=device.host, availability_zones=[], devices=[])
        )
        zone = device.availability_zone
        if zone is not None and zone not in host.availability_zones:
            host.availability_zones.append(zone)
        host.devices.append(_device(device, hosted.get(str(device.id), [])))
    return Topology(hosts=sorted(hosts.values(), key=lambda h: (h.host is None, h.host or "")))


def _device(device: Any, instances: list[TopologyInstance]) -> TopologyDevice:
    contexts = device.service_contexts
    capacity = device.slot_capacity
    return TopologyDevice(
        id=device.id,
        template_id=device.template_id,
        status=device.status,
        availability_zone=device.availability_zone,
        slot_capacity=capacity,
        slots_used=device.slots_used,
        slots_free=None if capacity is None else capacity - device.slots_used,
        networks=_unique(c.get("network_id") for c in contexts),
        ports=_unique(c.get("port_id") for c in contexts),
        service_instances=instances,
    )


def _unique(values: Iterable[str | None]) -> list[uuid.UUID]:
    seen: list[uuid.UUID] = []
    for value in values:
        if value is not None and uuid.UUID(value) not in seen:
            seen.append(uuid.UUID(value))
    return seen
